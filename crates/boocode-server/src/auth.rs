//! Who may talk to the server: a shared token (bearer header), a login session (the cookie the
//! login page sets: a random id the server keeps, never the token itself) or a trusted reverse
//! proxy's user header; WebSocket upgrades also check `Origin`.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Form;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::net::SocketAddr;

/// The cookie the login page sets.
pub(crate) const AUTH_COOKIE: &str = "boocode_auth";

/// How long a login lasts.
const LOGIN_LIFETIME: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// Login sessions: the SHA-256 of each random session id handed out as a cookie, with its
/// expiry. Kept in memory: a restart (or another instance) asks for the token again.
#[derive(Debug, Default)]
pub(crate) struct Logins(std::sync::Mutex<std::collections::HashMap<[u8; 32], std::time::Instant>>);

fn digest(id: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(id.as_bytes()).into()
}

impl Logins {
    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<[u8; 32], std::time::Instant>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new session id (256 random bits, hex).
    pub(crate) fn start(&self) -> String {
        let id = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let now = std::time::Instant::now();
        let mut sessions = self.lock();
        sessions.retain(|_, expiry| *expiry > now);
        sessions.insert(digest(&id), now + LOGIN_LIFETIME);
        id
    }

    /// Whether `id` is a live session.
    pub(crate) fn valid(&self, id: &str) -> bool {
        self.lock()
            .get(&digest(id))
            .is_some_and(|expiry| *expiry > std::time::Instant::now())
    }
}

/// Compares secrets in time that does not depend on where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether a request from `peer` with `headers` is allowed.
pub(crate) fn authorized(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> bool {
    let config = &state.config;
    let token = config.auth_token.as_deref().filter(|t| !t.is_empty());
    if let Some(token) = token {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if bearer.is_some_and(|b| constant_time_eq(b.trim().as_bytes(), token.as_bytes()))
            || cookie(headers, AUTH_COOKIE).is_some_and(|c| state.logins.valid(c))
        {
            return true;
        }
    }
    if config.trusted_proxies.contains(&peer.ip())
        && headers
            .get(config.proxy_user_header.as_str())
            .and_then(|v| v.to_str().ok())
            .is_some_and(|u| !u.trim().is_empty())
    {
        return true;
    }
    // Without any authentication configured the server only listens on loopback (checked at
    // start), where every local process is the user.
    token.is_none() && config.trusted_proxies.is_empty()
}

/// Middleware: 401 for unauthenticated requests (health and the login page stay open).
pub(crate) async fn require_auth(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    // Health answers everyone (with details only for the authenticated); the login page and
    // the static artifact frame hold nothing.
    if matches!(path, "/api/health" | "/login" | "/artifact-frame")
        || authorized(&state, peer, request.headers())
    {
        return next.run(request).await;
    }
    if path.starts_with("/api/") {
        return ApiError::unauthorized().into_response();
    }
    Redirect::to("/login").into_response()
}

/// Whether a WebSocket upgrade comes from an allowed page: no `Origin` (not a browser), the
/// server's own origin, or one configured.
pub(crate) fn origin_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    origin_in(headers, &state.config.allowed_origins)
}

/// Whether `headers` carry no `Origin`, the origin of the host they were sent to, or one of
/// `extra`.
pub(crate) fn origin_in(headers: &HeaderMap, extra: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let same = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|o| o.eq_ignore_ascii_case(host));
    same || extra.iter().any(|a| a.eq_ignore_ascii_case(origin))
}

const LOGIN_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>BooCode — sign in</title>
<style>body{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:100vh;margin:0;background:#111;color:#eee}
form{display:grid;gap:12px;width:min(360px,90vw)}input,button{font-size:16px;padding:12px;border-radius:8px;border:1px solid #444;min-height:44px}
button{background:#4a7;color:#fff;border:0}p{color:#f88;min-height:1em}</style></head>
<body><form method="post" action="/login"><h1>BooCode</h1><label for="t">Access token</label>
<input id="t" name="token" type="password" autocomplete="current-password" autofocus required>
<button type="submit">Sign in</button><p>{{error}}</p></form></body></html>"#;

/// `GET /login`.
pub(crate) async fn login_page() -> Html<String> {
    Html(LOGIN_PAGE.replace("{{error}}", ""))
}

/// The login form.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct LoginForm {
    token: String,
}

/// Whether the request reached us over TLS: a trusted proxy says so with
/// `X-Forwarded-Proto: https` (the server itself speaks plain HTTP).
fn over_tls(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> bool {
    state.config.trusted_proxies.contains(&peer.ip())
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// `POST /login`: starts a login session when the token is right; the cookie carries the
/// session's random id, never the token.
pub(crate) async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let ok = state
        .config
        .auth_token
        .as_deref()
        .is_some_and(|t| constant_time_eq(t.as_bytes(), form.token.trim().as_bytes()));
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            Html(LOGIN_PAGE.replace("{{error}}", "That token is not right.")),
        )
            .into_response();
    }
    let secure = if over_tls(&state, peer, &headers) {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{AUTH_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        state.logins.start(),
        LOGIN_LIFETIME.as_secs()
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_comparisons() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; boocode_auth=secret; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, AUTH_COOKIE), Some("secret"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
