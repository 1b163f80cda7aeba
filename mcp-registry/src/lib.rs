//! Declarative fleet manifest → plan → apply → verify against a ContextForge gateway.
//!
//! This crate is the orchestrator that composes [`mcpfleet-gateway-client`], [`mcpfleet-scope-audit`]
//! and [`mcpfleet-dockerfile-gen`]. It is a placeholder until its own issue lands: the manifest, plan,
//! apply and verify stages follow there.
//!
//! [`mcpfleet-gateway-client`]: https://docs.rs/mcpfleet-gateway-client
//! [`mcpfleet-scope-audit`]: https://docs.rs/mcpfleet-scope-audit
//! [`mcpfleet-dockerfile-gen`]: https://docs.rs/mcpfleet-dockerfile-gen
#![cfg_attr(docsrs, feature(doc_cfg))]
