//! Cursor pagination for `GET /v1/gateways`, `/v1/servers` and `/v1/tools`.

use std::collections::HashSet;
use std::marker::PhantomData;

use futures_util::stream::{self, Stream, TryStreamExt};
use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::client::{Client, Request, decode};
use crate::error::{Error, Result};
use crate::operation::Operation;
use crate::types::{ToolRead, Visibility};

/// Default for [`ListBuilder::max_pages`] and [`crate::TokenListBuilder::max_pages`]: 1000 pages, 50 000 items at
/// the gateway's default page size, far beyond any fleet, and a bound on the requests a gateway that keeps
/// announcing another page can draw from one listing.
pub const DEFAULT_MAX_PAGES: u32 = 1000;

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Cursor for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// The paginated answer shape: `{"<plural>": [...], "nextCursor": "..."}`.
#[derive(Deserialize)]
struct CursorPage<T> {
    #[serde(alias = "gateways", alias = "servers", alias = "tools")]
    items: Vec<T>,
    #[serde(default, rename = "nextCursor")]
    next_cursor: Option<String>,
}

/// A listing request: set filters, then [`send`](ListBuilder::send) one page,
/// [`stream`](ListBuilder::stream) every item, or collect them with [`all`](ListBuilder::all).
///
/// Without [`limit`](ListBuilder::limit) the gateway answers at most 50 items a page
/// (`PAGINATION_DEFAULT_PAGE_SIZE`); `stream` and `all` follow `nextCursor` until the last page and fail
/// with [`Error::PaginationLoop`] if the gateway ever repeats a cursor, or with [`Error::TooManyPages`] if it
/// still announces another page after [`max_pages`](ListBuilder::max_pages) pages.
#[must_use = "a listing does nothing until you call send, stream or all"]
pub struct ListBuilder<'c, T> {
    client: &'c Client,
    operation: Operation,
    path: String,
    limit: Option<u32>,
    cursor: Option<String>,
    include_inactive: bool,
    filters: Vec<(&'static str, String)>,
    max_pages: u32,
    item: PhantomData<fn() -> T>,
}

impl<T> Clone for ListBuilder<'_, T> {
    fn clone(&self) -> Self {
        ListBuilder {
            client: self.client,
            operation: self.operation,
            path: self.path.clone(),
            limit: self.limit,
            cursor: self.cursor.clone(),
            include_inactive: self.include_inactive,
            filters: self.filters.clone(),
            max_pages: self.max_pages,
            item: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for ListBuilder<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListBuilder")
            .field("operation", &self.operation)
            .field("path", &self.path)
            .field("limit", &self.limit)
            .field("cursor", &self.cursor)
            .field("include_inactive", &self.include_inactive)
            .field("filters", &self.filters)
            .field("max_pages", &self.max_pages)
            .finish()
    }
}

impl<'c, T: DeserializeOwned + 'c> ListBuilder<'c, T> {
    pub(crate) fn new(client: &'c Client, operation: Operation, path: String) -> Self {
        ListBuilder {
            client,
            operation,
            path,
            limit: None,
            cursor: None,
            include_inactive: false,
            filters: Vec::new(),
            max_pages: DEFAULT_MAX_PAGES,
            item: PhantomData,
        }
    }

    /// Page size (`0` asks the gateway for everything in one page).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Start at this cursor (from [`Page::next_cursor`]).
    pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }

    /// The most pages [`stream`](ListBuilder::stream) and [`all`](ListBuilder::all) fetch (default
    /// [`DEFAULT_MAX_PAGES`]; `0` counts as `1`). A gateway that still announces another page after that many is
    /// [`Error::TooManyPages`], after the items of the pages fetched.
    pub fn max_pages(mut self, pages: u32) -> Self {
        self.max_pages = pages.max(1);
        self
    }

    /// Include disabled items.
    pub fn include_inactive(mut self, include: bool) -> Self {
        self.include_inactive = include;
        self
    }

    /// Only items of this team.
    pub fn team_id(self, team_id: impl Into<String>) -> Self {
        self.filter("team_id", team_id.into())
    }

    /// Only items with this visibility.
    pub fn visibility(self, visibility: Visibility) -> Self {
        self.filter("visibility", visibility.as_str().to_owned())
    }

    pub(crate) fn filter(mut self, key: &'static str, value: String) -> Self {
        self.filters.retain(|(k, _)| *k != key);
        self.filters.push((key, value));
        self
    }

    fn request(&self, cursor: Option<&str>) -> Request {
        let mut request = Request::new(self.operation, Method::GET, self.path.clone())
            .query("include_pagination", "true");
        if let Some(limit) = self.limit {
            request = request.query("limit", limit);
        }
        if self.include_inactive {
            request = request.query("include_inactive", "true");
        }
        for (key, value) in &self.filters {
            request = request.query(key, value);
        }
        if let Some(cursor) = cursor {
            request = request.query("cursor", cursor);
        }
        request
    }

    async fn fetch(&self, cursor: Option<&str>) -> Result<Page<T>> {
        let request = self.request(cursor);
        let answer = self.client.send(&request).await?;
        // The gateway answers a bare array when it ignores `include_pagination`; accept both shapes.
        if answer.body.trim_start().starts_with('[') {
            let items: Vec<T> = decode(&request, answer.status, &answer.body)?;
            return Ok(Page {
                items,
                next_cursor: None,
            });
        }
        let page: CursorPage<T> = decode(&request, answer.status, &answer.body)?;
        Ok(Page {
            items: page.items,
            next_cursor: page.next_cursor.filter(|c| !c.is_empty()),
        })
    }

    /// Fetches one page.
    pub async fn send(&self) -> Result<Page<T>> {
        self.fetch(self.cursor.as_deref()).await
    }

    /// Every item of every page, fetched lazily page by page.
    ///
    /// The listing ends at a page without `nextCursor` or at an empty page; a repeated cursor is
    /// [`Error::PaginationLoop`], and another page announced after [`max_pages`](ListBuilder::max_pages) pages
    /// is [`Error::TooManyPages`].
    pub fn stream(self) -> impl Stream<Item = Result<T>> + 'c {
        struct State<'c, T> {
            builder: ListBuilder<'c, T>,
            next: Option<Option<String>>,
            seen: HashSet<String>,
            pages: u32,
        }
        let first = self.cursor.clone();
        let mut seen = HashSet::new();
        if let Some(c) = &first {
            seen.insert(c.clone());
        }
        let state = State {
            builder: self,
            next: Some(first),
            seen,
            pages: 0,
        };
        stream::try_unfold(state, |mut state| async move {
            let Some(cursor) = state.next.take() else {
                return Ok(None);
            };
            if state.pages == state.builder.max_pages {
                return Err(Error::TooManyPages {
                    path: state.builder.path.clone(),
                    pages: state.pages,
                });
            }
            let page = state.builder.fetch(cursor.as_deref()).await?;
            state.pages += 1;
            // An empty page makes no progress: following its cursor could go on forever with ever-new cursors,
            // which the repeated-cursor guard below cannot see.
            if page.items.is_empty() {
                return Ok(None);
            }
            if let Some(next) = &page.next_cursor {
                if !state.seen.insert(next.clone()) {
                    return Err(Error::PaginationLoop {
                        path: state.builder.path.clone(),
                        cursor: next.clone(),
                    });
                }
                state.next = Some(Some(next.clone()));
            }
            Ok(Some((page.items, state)))
        })
        .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
        .try_flatten()
    }

    /// Every item of every page, collected.
    pub async fn all(self) -> Result<Vec<T>> {
        self.stream().try_collect().await
    }
}

impl<'c> ListBuilder<'c, ToolRead> {
    /// Only tools of this gateway (`?gateway_id=`).
    pub fn gateway_id(self, gateway_id: impl Into<String>) -> Self {
        self.filter("gateway_id", gateway_id.into())
    }

    /// Only tools with all these tags.
    pub fn tags<I, S>(self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let joined = tags
            .into_iter()
            .map(Into::into)
            .collect::<Vec<_>>()
            .join(",");
        self.filter("tags", joined)
    }
}
