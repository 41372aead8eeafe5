//! The built web UI: files from the web directory, `index.html` for client-side routes (SPA
//! fallback), long-lived caching for hashed assets and none for the page itself.

use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use std::path::{Component, Path, PathBuf};

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

/// The file under `root` a request path names, refusing anything that is not a plain relative
/// path (no `..`, no absolute parts).
fn file_for(root: &Path, request: &str) -> Option<PathBuf> {
    let relative = Path::new(request.trim_start_matches('/'));
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    Some(root.join(relative))
}

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>BooCode</title>\
<h1>The web UI is not built</h1><p>Run <code>scripts/run</code> (it builds <code>web/</code> when needed), \
or <code>cd web && npm ci && npm run build</code>, then reload. The API is at <a href=\"/api/openapi.json\">/api/openapi.json</a>.</p>";

/// Fallback handler for every non-API path.
pub(crate) async fn serve(State(state): State<AppState>, uri: Uri) -> Response {
    // The coder daemon has no pages: anything not an API route is a JSON 404.
    if state.config.runtime.coder_root().is_some() {
        return super::rest::not_found().await.into_response();
    }
    let Some(root) = state.config.web_dir.clone() else {
        return (StatusCode::SERVICE_UNAVAILABLE, Html(NOT_BUILT)).into_response();
    };
    let path = uri.path();
    let candidate = match file_for(&root, path) {
        Some(p) if p.is_file() => Some(p),
        Some(_) => None,
        None => return StatusCode::NOT_FOUND.into_response(),
    };
    let hashed = path.starts_with("/assets/");
    let file = match candidate {
        Some(file) => file,
        // A missing hashed asset is a real 404; anything else is a client-side route.
        None if hashed || Path::new(path).extension().is_some() => {
            return StatusCode::NOT_FOUND.into_response();
        }
        None => root.join("index.html"),
    };
    let Ok(bytes) = tokio::fs::read(&file).await else {
        return (StatusCode::SERVICE_UNAVAILABLE, Html(NOT_BUILT)).into_response();
    };
    let cache = if hashed {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&file)),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The policy of an artifact frame: its own inline scripts and styles, images only as `data:`,
/// and no network at all — no fetch, no WebSocket, no remote image, no form, no navigation of
/// its parent (the frame is also sandboxed without same-origin by the page).
pub(crate) const ARTIFACT_CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; \
style-src 'unsafe-inline'; img-src data:; font-src data:; media-src data:; connect-src 'none'; \
form-action 'none'; base-uri 'none'; frame-ancestors 'self'";

/// The frame artifacts run in: an empty page that writes the HTML its parent posts to it.
/// Served from the server (not `srcdoc`) so that it carries its own policy instead of
/// inheriting the page's.
const ARTIFACT_FRAME: &str = "<!doctype html><meta charset=utf-8><script>\
addEventListener('message',function(e){if(e.source!==parent||!e.data||e.data.type!=='boocode-artifact')return;\
document.open();document.write(String(e.data.html));document.close();});\
parent.postMessage({type:'boocode-artifact-ready'},'*');</script>";

/// `GET /artifact-frame`.
pub(crate) async fn artifact_frame() -> Response {
    let mut response = Html(ARTIFACT_FRAME).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(ARTIFACT_CSP),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_leave_the_web_directory() {
        let root = Path::new("/srv/web");
        assert_eq!(
            file_for(root, "/assets/app-1a2b.js"),
            Some(PathBuf::from("/srv/web/assets/app-1a2b.js"))
        );
        assert_eq!(file_for(root, "/../etc/passwd"), None);
        assert_eq!(file_for(root, "/a/../../x"), None);
        assert_eq!(file_for(root, "/"), Some(PathBuf::from("/srv/web/")));
    }
}
