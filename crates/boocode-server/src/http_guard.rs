//! The request guard every route of both daemons sits behind, before authentication:
//!
//! - **Host** (DNS rebinding): without a token or a trusted proxy, only `localhost`,
//!   `127.0.0.1` and `[::1]` (any port) and the names the user lists are answered; anything
//!   else gets `421` — a page on `evil.example` that rebinds its name to 127.0.0.1 reaches
//!   nothing.
//! - **Origin and `Sec-Fetch-Site`** on every request that changes state and on WebSocket
//!   upgrades: a browser request from another origin is refused with `403`.
//! - **JSON only** for state-changing requests (`415` otherwise): a cross-site form or a
//!   `text/plain` "simple request" can never reach a handler.
//! - **Headers** on every response: a Content-Security-Policy, `nosniff`, no referrer, no
//!   framing.

use crate::error::ApiError;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The policy of the web UI's pages: scripts, styles, images and connections from the server
/// itself only (images also as `data:`), artifact frames from the server's own sandboxed
/// frame page, no plugins, never framed by another site.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-src 'self'; \
object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Which requests a daemon answers.
#[derive(Debug, Clone, Default)]
pub struct RequestPolicy {
    /// Check `Host` (true unless a token or trusted proxy authenticates every request).
    pub check_host: bool,
    /// Names answered besides the loopback ones (lowercase, without port).
    pub allowed_hosts: Vec<String>,
    /// Origins allowed besides the server's own (`scheme://host[:port]`).
    pub allowed_origins: Vec<String>,
    /// Paths exempt from the JSON rule (the login form).
    pub form_paths: Vec<&'static str>,
}

impl RequestPolicy {
    /// The policy for a daemon that authenticates with `token_or_proxy`.
    pub fn new(token_or_proxy: bool, allowed_hosts: &[String], allowed_origins: &[String]) -> Self {
        Self {
            check_host: !token_or_proxy,
            allowed_hosts: allowed_hosts
                .iter()
                .map(|h| h.trim().trim_end_matches('.').to_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            allowed_origins: allowed_origins.to_vec(),
            form_paths: Vec::new(),
        }
    }
}

/// The host name of a `Host` header value, lowercase, without port or brackets.
fn host_name(value: &str) -> Option<String> {
    let value = value.trim();
    let name = if let Some(rest) = value.strip_prefix('[') {
        // `[::1]:7410`
        rest.split_once(']')?.0
    } else {
        match value.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
            Some(_) => return None,
            None => value,
        }
    };
    let name = name.trim_end_matches('.').to_lowercase();
    (!name.is_empty()).then_some(name)
}

fn loopback_name(name: &str) -> bool {
    matches!(name, "localhost" | "127.0.0.1" | "::1")
}

impl RequestPolicy {
    fn host_allowed(&self, name: &str) -> bool {
        loopback_name(name) || self.allowed_hosts.iter().any(|h| h == name)
    }

    /// Whether `origin` (`scheme://authority`) is this server's own or one allowed.
    fn origin_allowed(&self, origin: &str, host: Option<&str>) -> bool {
        if self
            .allowed_origins
            .iter()
            .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin))
        {
            return true;
        }
        let Some(authority) = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
        else {
            return false;
        };
        let Some(host) = host else {
            return false;
        };
        // Same origin: the page was served by this very host and port. When names are
        // checked, the page's name must be one we answer to as well.
        authority.eq_ignore_ascii_case(host)
            && (!self.check_host || host_name(authority).is_some_and(|n| self.host_allowed(&n)))
    }

    /// Checks one request; `Err` is the response to send instead.
    pub(crate) fn check(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
    ) -> Result<(), ApiError> {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        if self.check_host {
            let name = host.and_then(host_name);
            match name {
                Some(name) if self.host_allowed(&name) => {}
                _ => {
                    return Err(ApiError::new(
                        StatusCode::MISDIRECTED_REQUEST,
                        "host_not_allowed",
                        format!(
                            "this server answers only to localhost, 127.0.0.1 and [::1] (this request was for {}); \
                             to reach it by another name, list it with --allowed-host or BOOCODE_ALLOWED_HOSTS",
                            host.map_or_else(
                                || "no host".to_owned(),
                                |h| format!("`{}`", h.escape_debug())
                            )
                        ),
                    ));
                }
            }
        }
        let upgrade = headers
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        let changes_state = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !(changes_state || upgrade) {
            return Ok(());
        }
        if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
            && !matches!(site, "same-origin" | "none")
        {
            // `same-site` too: another port of localhost is the same site.
            return Err(cross_site(format!("Sec-Fetch-Site: {site}")));
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            if !self.origin_allowed(origin, host) {
                return Err(cross_site(format!("Origin: {}", origin.escape_debug())));
            }
        }
        if changes_state && !self.form_paths.contains(&path) && !is_json(headers) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "content_type",
                "requests that change state must be sent as JSON with Content-Type: application/json (an empty body counts as {})",
            ));
        }
        Ok(())
    }
}

fn cross_site(what: String) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "cross_site",
        format!(
            "cross-site request refused ({what}); use the server's own page, or list the origin with --allowed-origin"
        ),
    )
}

/// Whether the request says its body is JSON (`application/json`, any parameters, or a
/// `+json` type).
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| {
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        })
}

/// Middleware: the checks above, then the security headers on whatever the handler answers.
pub(crate) async fn guard(policy: Arc<RequestPolicy>, request: Request, next: Next) -> Response {
    let mut response = match policy.check(request.method(), request.uri().path(), request.headers())
    {
        Ok(()) => next.run(request).await,
        Err(refusal) => refusal.into_response(),
    };
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(headers, header::CONTENT_SECURITY_POLICY, PAGE_CSP);
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    response
}

/// One route of a daemon: its method and path (with `{param}` placeholders).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    /// The HTTP method.
    pub method: Method,
    /// The full path, e.g. `/api/chats/{id}/stop`.
    pub path: String,
}

impl RouteInfo {
    /// Whether the route changes state (anything but GET, HEAD and OPTIONS).
    pub fn changes_state(&self) -> bool {
        !matches!(self.method, Method::GET | Method::HEAD | Method::OPTIONS)
    }
}

/// A router that remembers every route added to it, so tests can walk the whole list (a new
/// route cannot slip past the attack tests).
pub(crate) struct Routes<S> {
    prefix: &'static str,
    router: axum::Router<S>,
    list: Vec<RouteInfo>,
}

macro_rules! method_fn {
    ($name:ident, $method:ident) => {
        pub(crate) fn $name<H, T>(self, path: &'static str, handler: H) -> Self
        where
            H: axum::handler::Handler<T, S>,
            T: 'static,
        {
            self.add(Method::$method, path, axum::routing::$name(handler))
        }
    };
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    /// Routes mounted under `prefix` (e.g. `/api`).
    pub(crate) fn new(prefix: &'static str) -> Self {
        Self {
            prefix,
            router: axum::Router::new(),
            list: Vec::new(),
        }
    }

    fn add(
        mut self,
        method: Method,
        path: &'static str,
        route: axum::routing::MethodRouter<S>,
    ) -> Self {
        self.list.push(RouteInfo {
            method,
            path: format!("{}{path}", self.prefix),
        });
        self.router = self.router.route(path, route);
        self
    }

    method_fn!(get, GET);
    method_fn!(post, POST);
    method_fn!(put, PUT);
    method_fn!(patch, PATCH);
    method_fn!(delete, DELETE);

    /// The router and the list of its routes.
    pub(crate) fn finish(self) -> (axum::Router<S>, Vec<RouteInfo>) {
        (self.router, self.list)
    }
}

/// Adds the guard to `router`.
pub(crate) fn layer<S: Clone + Send + Sync + 'static>(
    router: axum::Router<S>,
    policy: RequestPolicy,
) -> axum::Router<S> {
    let policy = Arc::new(policy);
    router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let policy = policy.clone();
            async move { guard(policy, request, next).await }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn host_names_are_parsed_with_ports_and_brackets() {
        assert_eq!(host_name("LOCALHOST:7410").as_deref(), Some("localhost"));
        assert_eq!(host_name("[::1]:7410").as_deref(), Some("::1"));
        assert_eq!(host_name("127.0.0.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(
            host_name("evil.example.:80").as_deref(),
            Some("evil.example")
        );
        assert_eq!(host_name("a:b:c"), None);
        assert_eq!(host_name(""), None);
    }

    #[test]
    fn rebinding_cross_site_and_non_json_requests_are_refused() {
        let policy = RequestPolicy::new(false, &["Box.Lan".into()], &[]);
        let get = Method::GET;
        let post = Method::POST;
        let ok = |m: &Method, h: &[(&str, &str)]| policy.check(m, "/api/x", &headers(h));
        assert!(ok(&get, &[("host", "localhost:7410")]).is_ok());
        assert!(ok(&get, &[("host", "[::1]:1")]).is_ok());
        assert!(ok(&get, &[("host", "box.lan:7410")]).is_ok());
        assert_eq!(
            ok(&get, &[("host", "evil.example:7410")])
                .unwrap_err()
                .status,
            StatusCode::MISDIRECTED_REQUEST
        );
        assert_eq!(
            ok(&get, &[]).unwrap_err().status,
            StatusCode::MISDIRECTED_REQUEST
        );
        let json = ("content-type", "application/json");
        assert!(ok(&post, &[("host", "localhost:1"), json]).is_ok());
        assert!(
            ok(
                &post,
                &[
                    ("host", "localhost:1"),
                    ("origin", "http://localhost:1"),
                    json
                ]
            )
            .is_ok()
        );
        for refused in [
            vec![
                ("host", "localhost:1"),
                ("origin", "http://evil.example"),
                json,
            ],
            vec![("host", "localhost:1"), ("origin", "null"), json],
            vec![
                ("host", "localhost:1"),
                ("origin", "http://localhost:2"),
                json,
            ],
            vec![
                ("host", "localhost:1"),
                ("sec-fetch-site", "cross-site"),
                json,
            ],
            vec![
                ("host", "localhost:1"),
                ("sec-fetch-site", "same-site"),
                json,
            ],
        ] {
            assert_eq!(
                ok(&post, &refused).unwrap_err().status,
                StatusCode::FORBIDDEN,
                "{refused:?}"
            );
        }
        for body_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data"),
        ] {
            let mut h = vec![("host", "localhost:1")];
            h.extend(body_type.map(|t| ("content-type", t)));
            assert_eq!(
                ok(&post, &h).unwrap_err().status,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{body_type:?}"
            );
        }
        // A WebSocket upgrade from another origin.
        assert_eq!(
            ok(
                &get,
                &[
                    ("host", "localhost:1"),
                    ("upgrade", "websocket"),
                    ("origin", "http://evil.example")
                ]
            )
            .unwrap_err()
            .status,
            StatusCode::FORBIDDEN
        );
        // With a token, any name is answered (the token is the check), but origins still are.
        let open = RequestPolicy::new(true, &[], &[]);
        assert!(
            open.check(&get, "/", &headers(&[("host", "box.example")]))
                .is_ok()
        );
        assert!(
            open.check(
                &post,
                "/",
                &headers(&[
                    ("host", "box.example"),
                    ("origin", "http://evil.example"),
                    json
                ])
            )
            .is_err()
        );
    }
}
