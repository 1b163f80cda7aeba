//! Request bodies and response models.

mod auth;
mod common;
mod extra;
mod gateway;
mod rbac;
mod server;
mod token;
mod tool;

pub use auth::{AppInfo, Health, Session, User, VersionInfo};
pub use common::{Sensitive, StatusMessage, Tag, Transport, Visibility};
pub use extra::Extra;
pub use gateway::{
    AuthHeader, AuthType, GatewayCreate, GatewayRead, GatewayUpdate, RefreshReport, StateChange,
};
pub use rbac::{AvailablePermissions, RoleAssignmentRead, RoleRead};
pub(crate) use server::ServerCreateEnvelope;
pub use server::{ServerCreate, ServerRead, ServerUpdate};
pub use token::{TokenCreate, TokenCreated, TokenInfo, TokenList, TokenScopeRequest};
pub use tool::{Content, RpcTool, ToolRead, ToolResult};
