//! `client.tokens()`: API tokens.

use reqwest::Method;

use super::item_path;
use crate::client::{Client, Request};
use crate::error::{Error, Result};
use crate::operation::Operation;
use crate::pagination::DEFAULT_MAX_PAGES;
use crate::types::{TokenCreate, TokenCreated, TokenInfo, TokenList};

const COLLECTION: &str = "/v1/tokens";

/// API tokens. Get it from [`Client::tokens`].
///
/// **Every endpoint here refuses API tokens** (403 "Token management requires an interactive session"):
/// call it with a login session ([`crate::Auth::login`]) or a CLI-minted JWT.
#[derive(Debug, Clone, Copy)]
pub struct Tokens<'c> {
    client: &'c Client,
}

impl<'c> Tokens<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Tokens { client }
    }

    /// Creates an API token; the answer holds the JWT, which the gateway shows only once.
    ///
    /// [`crate::Error::BadRequest`] for a duplicate name, a missing expiry, or permissions the caller does
    /// not hold; [`crate::Error::Validation`] for a malformed permission name. Never retried.
    ///
    /// Operation id: `tokens.create`. Needs `tokens.create`.
    pub async fn create(&self, token: &TokenCreate) -> Result<TokenCreated> {
        let request = Request::new(Operation::TokensCreate, Method::POST, COLLECTION.to_owned())
            .json(token)?;
        self.client.execute(request).await
    }

    /// Lists the caller's tokens (offset pagination, 50 a page by default).
    ///
    /// Operation id: `tokens.list`. Needs `tokens.read`.
    pub fn list(&self) -> TokenListBuilder<'c> {
        TokenListBuilder {
            client: self.client,
            limit: None,
            offset: 0,
            include_inactive: false,
            max_pages: DEFAULT_MAX_PAGES,
        }
    }

    /// One token's record.
    ///
    /// Operation id: `tokens.get`. Needs `tokens.read`.
    pub async fn get(&self, id: &str) -> Result<TokenInfo> {
        let path = item_path(Operation::TokensGet, COLLECTION, id, "")?;
        self.client
            .execute(Request::new(Operation::TokensGet, Method::GET, path))
            .await
    }

    /// Revokes a token; it is refused (401 "Token has been revoked") from then on.
    ///
    /// Operation id: `tokens.revoke`. Needs `tokens.revoke`.
    pub async fn revoke(&self, id: &str) -> Result<()> {
        let path = item_path(Operation::TokensRevoke, COLLECTION, id, "")?;
        self.client
            .execute_no_content(Request::new(Operation::TokensRevoke, Method::DELETE, path))
            .await
    }
}

/// A token listing: [`send`](TokenListBuilder::send) one page or collect [`all`](TokenListBuilder::all).
#[derive(Debug, Clone)]
#[must_use = "a listing does nothing until you call send or all"]
pub struct TokenListBuilder<'c> {
    client: &'c Client,
    limit: Option<u32>,
    offset: u64,
    include_inactive: bool,
    max_pages: u32,
}

impl TokenListBuilder<'_> {
    /// Page size.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Skip this many tokens.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    /// The most pages [`all`](TokenListBuilder::all) fetches (default [`DEFAULT_MAX_PAGES`]; `0` counts as
    /// `1`); more is [`Error::TooManyPages`].
    pub fn max_pages(mut self, pages: u32) -> Self {
        self.max_pages = pages.max(1);
        self
    }

    /// Include revoked and inactive tokens.
    pub fn include_inactive(mut self, include: bool) -> Self {
        self.include_inactive = include;
        self
    }

    async fn fetch(&self, offset: u64) -> Result<TokenList> {
        let mut request = Request::new(Operation::TokensList, Method::GET, COLLECTION.to_owned())
            .query("offset", offset);
        if let Some(limit) = self.limit {
            request = request.query("limit", limit);
        }
        if self.include_inactive {
            request = request.query("include_inactive", "true");
        }
        self.client.execute(request).await
    }

    /// One page.
    pub async fn send(&self) -> Result<TokenList> {
        self.fetch(self.offset).await
    }

    /// Every token from the offset on, following pages until `total` tokens have been seen or a page comes
    /// back empty; a `total` still ahead after [`max_pages`](TokenListBuilder::max_pages) pages is
    /// [`Error::TooManyPages`].
    pub async fn all(self) -> Result<Vec<TokenInfo>> {
        let mut out = Vec::new();
        let mut offset = self.offset;
        for _ in 0..self.max_pages {
            let page = self.fetch(offset).await?;
            let got = page.tokens.len() as u64;
            out.extend(page.tokens);
            offset += got;
            // An empty page ends the walk even if `total` says otherwise, so it always terminates.
            if got == 0 || offset >= page.total {
                return Ok(out);
            }
        }
        Err(Error::TooManyPages {
            path: COLLECTION.to_owned(),
            pages: self.max_pages,
        })
    }
}
