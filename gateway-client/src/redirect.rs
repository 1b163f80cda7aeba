//! The redirect rule, and the URLs errors show.
//!
//! The client never lets reqwest follow a redirect: the client the builder makes has
//! `redirect::Policy::none()`, a client given to `http_client` must have it, so every 3xx comes back to [`crate::Client`]'s own request path, which follows it
//! only when it is safe (a `GET`/`HEAD`, to the same origin, a few times, without a loop). A redirect the client
//! does not follow is [`Error::Redirect`]: nothing is sent to where it points.

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{Method, StatusCode};
use url::Url;

use crate::client::Request;
use crate::error::{Error, RedirectReason};

/// How many same-origin redirects of one `GET` or `HEAD` the client follows before it gives up with
/// [`RedirectReason::TooMany`]: enough for a trailing-slash or a path-prefix move, too few to hide a loop.
pub const MAX_REDIRECTS: usize = 3;

/// The statuses that ask a client to repeat the request elsewhere (the five reqwest and browsers follow). Other
/// 3xx (300, 304, 305) are ordinary answers: [`Error::UnexpectedStatus`].
pub(crate) fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Where a redirect answer to a request for `current` leads: the next URL when the rule allows following it, the
/// reason and the (cleaned) location otherwise. `visited` holds every URL already requested for this request,
/// `current` included.
pub(crate) fn next_hop(
    method: &Method,
    current: &Url,
    headers: &HeaderMap,
    visited: &[Url],
) -> Result<Url, (RedirectReason, Option<String>)> {
    let target = headers
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|location| current.join(location.trim()).ok())
        .map(|mut url| {
            url.set_fragment(None);
            url
        });
    let Some(target) = target else {
        return Err((RedirectReason::NoLocation, None));
    };
    let shown = Some(location_for_display(&target));
    // Checked first, for every method: another origin never gets the request, whatever else is wrong.
    if target.origin() != current.origin() {
        return Err((RedirectReason::CrossOrigin, shown));
    }
    if !matches!(*method, Method::GET | Method::HEAD) {
        return Err((RedirectReason::Write, shown));
    }
    if visited.contains(&target) {
        return Err((RedirectReason::Loop, shown));
    }
    // `visited` holds the original URL too, so it is one longer than the number of redirects followed.
    if visited.len() > MAX_REDIRECTS {
        return Err((RedirectReason::TooMany, shown));
    }
    Ok(target)
}

/// The error for a redirect answer the client does not follow.
pub(crate) fn refused(
    request: &Request,
    status: StatusCode,
    (reason, location): (RedirectReason, Option<String>),
) -> Error {
    Error::Redirect {
        method: request.method.clone(),
        path: request.path.clone(),
        status,
        location,
        reason,
    }
}

/// A URL for a message: without `user:password@`.
pub(crate) fn url_for_display(url: &Url) -> String {
    let mut url = url.clone();
    // Both only fail for URLs that cannot carry credentials, which then have none to remove.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.into()
}

/// A redirect target for a message: without credentials, query or fragment, where a hostile Location would put
/// a secret it wants echoed into logs.
fn location_for_display(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url_for_display(&url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(location: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, HeaderValue::from_str(location).unwrap());
        headers
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn a_same_origin_get_is_followed_and_a_relative_location_resolved() {
        let current = url("http://gw:4444/v1/gateways?limit=5");
        let next = next_hop(
            &Method::GET,
            &current,
            &headers("/prefix/v1/gateways?limit=5#frag"),
            std::slice::from_ref(&current),
        )
        .unwrap();
        assert_eq!(next.as_str(), "http://gw:4444/prefix/v1/gateways?limit=5");
    }

    #[test]
    fn writes_are_never_followed_even_to_the_same_origin() {
        let current = url("http://gw:4444/v1/gateways");
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let (reason, location) = next_hop(
                &method,
                &current,
                &headers("/v1/gateways/"),
                std::slice::from_ref(&current),
            )
            .unwrap_err();
            assert_eq!(reason, RedirectReason::Write, "{method}");
            assert_eq!(location.as_deref(), Some("http://gw:4444/v1/gateways/"));
        }
    }

    #[test]
    fn another_scheme_host_or_port_is_another_origin() {
        let current = url("http://gw:4444/v1/tools");
        for target in [
            "https://gw:4444/v1/tools",
            "http://gw:4445/v1/tools",
            "http://other:4444/v1/tools",
            "//other/v1/tools",
            "file:///etc/passwd",
        ] {
            let (reason, _) = next_hop(
                &Method::GET,
                &current,
                &headers(target),
                std::slice::from_ref(&current),
            )
            .unwrap_err();
            assert_eq!(reason, RedirectReason::CrossOrigin, "{target}");
        }
        // The default port written out is the same origin.
        let current = url("http://gw/v1/tools");
        assert!(
            next_hop(
                &Method::GET,
                &current,
                &headers("http://gw:80/v1/tools/"),
                std::slice::from_ref(&current)
            )
            .is_ok()
        );
    }

    #[test]
    fn a_location_shown_in_an_error_has_no_credentials_or_query() {
        let current = url("http://gw:4444/v1/tools");
        let (_, location) = next_hop(
            &Method::POST,
            &current,
            &headers("http://user:pw-secret@evil:9/collect?token=q-secret#f"),
            std::slice::from_ref(&current),
        )
        .unwrap_err();
        assert_eq!(location.as_deref(), Some("http://evil:9/collect"));
    }

    #[test]
    fn no_or_a_broken_location_is_named() {
        let current = url("http://gw:4444/v1/tools");
        let cases = [HeaderMap::new(), headers("http://[::1")];
        for headers in &cases {
            let (reason, location) = next_hop(
                &Method::GET,
                &current,
                headers,
                std::slice::from_ref(&current),
            )
            .unwrap_err();
            assert_eq!(reason, RedirectReason::NoLocation);
            assert_eq!(location, None);
        }
    }

    #[test]
    fn loops_and_long_chains_stop() {
        let a = url("http://gw/a");
        let b = url("http://gw/b");
        let (reason, _) =
            next_hop(&Method::GET, &b, &headers("/a"), &[a.clone(), b.clone()]).unwrap_err();
        assert_eq!(reason, RedirectReason::Loop);
        let chain: Vec<Url> = (0..=MAX_REDIRECTS)
            .map(|i| url(&format!("http://gw/{i}")))
            .collect();
        let last = chain.last().unwrap();
        let (reason, _) = next_hop(&Method::GET, last, &headers("/next"), &chain).unwrap_err();
        assert_eq!(reason, RedirectReason::TooMany);
        // One fewer is still followed.
        let shorter = &chain[..MAX_REDIRECTS];
        assert!(
            next_hop(
                &Method::GET,
                shorter.last().unwrap(),
                &headers("/next"),
                shorter
            )
            .is_ok()
        );
    }

    #[test]
    fn urls_in_messages_lose_their_credentials() {
        assert_eq!(
            url_for_display(&url("http://u:p@gw:1/v1/tools?cursor=c")),
            "http://gw:1/v1/tools?cursor=c"
        );
    }
}
