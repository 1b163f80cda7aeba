//! `client.auth()`: who am I, and e-mail login.

use reqwest::Method;
use serde::Serialize;

use crate::client::{Client, Request};
use crate::error::Result;
use crate::operation::Operation;
use crate::types::{Session, User};

/// The current user and e-mail login. Get it from [`Client::auth`].
#[derive(Debug, Clone, Copy)]
pub struct Auth<'c> {
    client: &'c Client,
}

/// Login body; deliberately not `Debug`, it holds the password.
#[derive(Serialize)]
struct Login<'a> {
    email: &'a str,
    password: &'a str,
}

impl<'c> Auth<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Auth { client }
    }

    /// The user behind the token. **Refused (403) for scoped API tokens.**
    ///
    /// Operation id: `auth.me`.
    pub async fn me(&self) -> Result<User> {
        self.client
            .execute(Request::new(
                Operation::AuthMe,
                Method::GET,
                "/v1/auth/email/me".into(),
            ))
            .await
    }

    /// Logs in with e-mail and password and returns an interactive session token (needed for token
    /// management). Sends no bearer token. Use the result with [`Client::with_token`]:
    ///
    /// ```no_run
    /// # async fn run(client: mcpfleet_gateway_client::Client) -> mcpfleet_gateway_client::Result<()> {
    /// let session = client.auth().login("dev@example.com", "a long passphrase").await?;
    /// let as_dev = client.with_token(session.expose_token());
    /// println!("{}", as_dev.auth().me().await?.email);
    /// # Ok(()) }
    /// ```
    ///
    /// Wrong credentials: [`crate::Error::Unauthorized`]. Never retried.
    ///
    /// Operation id: `auth.login`.
    pub async fn login(&self, email: &str, password: &str) -> Result<Session> {
        let request = Request::new(
            Operation::AuthLogin,
            Method::POST,
            "/v1/auth/email/login".into(),
        )
        .anonymous()
        .json(&Login { email, password })?;
        self.client.execute(request).await
    }
}
