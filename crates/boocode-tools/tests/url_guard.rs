//! url_guard against real local HTTP servers: every hostile form is refused before a byte is
//! sent, redirects are re-checked, caps hold; and the web tools work through it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use boocode_core::{ToolContext, ToolError};
use boocode_tools::{PathGuard, Tier, ToolEnv, UrlError, UrlGuard, WebConfig, read_tools};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A local server that counts the requests it gets.
struct Server {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

async fn serve(router: Router) -> Server {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let router = router.layer(axum::middleware::from_fn(
        move |req, next: axum::middleware::Next| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                next.run(req).await
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    Server { addr, hits }
}

async fn target() -> Server {
    serve(Router::new().route("/", get(|| async { "INTERNAL SECRET" }))).await
}

#[tokio::test]
async fn hostile_addresses_are_refused_and_never_contacted() {
    let server = target().await;
    let port = server.addr.port();
    let guard = UrlGuard::default();
    let hostile = [
        format!("http://127.0.0.1:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://0x7f000001:{port}/"),
        format!("http://0x7f.0.0.1:{port}/"),
        format!("http://0177.0.0.1:{port}/"),
        format!("http://017700000001:{port}/"),
        format!("http://127.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://[::ffff:7f00:1]:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("http://[0:0:0:0:0:0:0:1]:{port}/"),
        format!("http://localhost:{port}/"),
        format!("http://LOCALHOST.:{port}/"),
        format!("http://0.0.0.0:{port}/"),
        format!("http://0:{port}/"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
        "http://192.168.1.1/".to_owned(),
        "http://100.64.1.1/".to_owned(),
        "http://[fd00::1]/".to_owned(),
        "http://[fe80::1]/".to_owned(),
    ];
    for url in &hostile {
        let err = guard.fetch(url).await.unwrap_err();
        // A trailing-dot name may not resolve at all here; either way it is refused.
        let refused = matches!(err, UrlError::Blocked { .. })
            || (url.contains("LOCALHOST.") && matches!(err, UrlError::Resolve { .. }));
        assert!(refused, "{url}: {err}");
        assert!(!err.to_string().contains("INTERNAL SECRET"));
    }
    for url in [
        "file:///etc/passwd",
        "ftp://example.com/",
        "gopher://x/",
        "javascript:alert(1)",
    ] {
        let err = guard.fetch(url).await.unwrap_err();
        assert!(
            matches!(err, UrlError::Scheme { .. } | UrlError::Invalid { .. }),
            "{url}: {err}"
        );
    }
    assert_eq!(
        server.hits.load(Ordering::SeqCst),
        0,
        "no request may reach the target"
    );
}

#[tokio::test]
async fn an_allowed_server_redirecting_to_loopback_is_refused() {
    let internal = target().await;
    let to = format!("http://127.0.0.1:{}/", internal.addr.port());
    let to_name = format!("http://localhost:{}/", internal.addr.port());
    let trusted = serve(
        Router::new()
            .route("/ok", get(|| async { "public page" }))
            .route("/hop", get(move || async move { Redirect::temporary(&to) }))
            .route(
                "/hop-name",
                get(move || async move { Redirect::permanent(&to_name) }),
            ),
    )
    .await;
    let guard = UrlGuard::default().allow_host(format!("127.0.0.1:{}", trusted.addr.port()));

    // The allowed host itself works (positive control).
    let ok = guard
        .fetch(&format!("http://127.0.0.1:{}/ok", trusted.addr.port()))
        .await
        .unwrap();
    assert_eq!(ok.body, b"public page");
    for path in ["hop", "hop-name"] {
        let err = guard
            .fetch(&format!("http://127.0.0.1:{}/{path}", trusted.addr.port()))
            .await
            .unwrap_err();
        assert!(matches!(err, UrlError::Blocked { .. }), "{path}: {err}");
    }
    assert_eq!(internal.hits.load(Ordering::SeqCst), 0);
    // An allow-list entry with a port does not cover other ports of the same host.
    assert!(
        guard
            .fetch(&format!("http://127.0.0.1:{}/", internal.addr.port()))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn size_time_and_redirect_caps_hold() {
    let server = serve(
        Router::new()
            .route("/big", get(|| async { "x".repeat(3 * 1024 * 1024) }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    "late"
                }),
            )
            .route("/loop", get(|| async { Redirect::temporary("/loop") })),
    )
    .await;
    let base = format!("http://127.0.0.1:{}", server.addr.port());
    let guard = UrlGuard::default()
        .allow_host(format!("127.0.0.1:{}", server.addr.port()))
        .max_bytes(1024 * 1024)
        .timeout(Duration::from_millis(500));
    let big = guard.fetch(&format!("{base}/big")).await.unwrap();
    assert_eq!(big.body.len(), 1024 * 1024);
    assert!(big.truncated);
    let err = guard.fetch(&format!("{base}/slow")).await.unwrap_err();
    assert!(matches!(err, UrlError::Timeout { .. }), "{err}");
    let err = guard.fetch(&format!("{base}/loop")).await.unwrap_err();
    assert_eq!(err, UrlError::TooManyRedirects(5));
}

fn web_tools(web: WebConfig) -> (tempfile::TempDir, boocode_core::ToolSet) {
    let root = tempfile::tempdir().unwrap();
    let env = ToolEnv::new(PathGuard::new(root.path()).unwrap()).with_web(web);
    let (set, _) = read_tools(Arc::new(env), Tier::All, None);
    (root, set)
}

async fn run(
    set: &boocode_core::ToolSet,
    name: &str,
    args: serde_json::Value,
) -> Result<String, ToolError> {
    let ctx = ToolContext::new("w");
    set.get(name)
        .unwrap()
        .execute(args, &ctx)
        .await
        .map(|o| o.content)
}

#[tokio::test]
async fn web_search_reads_searxng_json_and_web_fetch_converts_html() {
    let page = "<html><head><title>t</title><script>alert('x')</script></head><body><h1>Guide</h1><p>Use <a href=\"/x\">the crate</a>.</p></body></html>";
    let searx = serve(
        Router::new()
            .route("/search", get(|q: axum::extract::Query<std::collections::HashMap<String, String>>| async move {
                axum::Json(json!({"results": [
                    {"title": "Rust", "url": "https://www.rust-lang.org/", "content": format!("query was {}", q.0["q"])},
                    {"title": "Crates", "url": "https://crates.io/", "content": ""}
                ]}))
            }))
            .route("/page", get(move || async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page) }))
            .route("/image", get(|| async { ([(header::CONTENT_TYPE, "image/png")], vec![0u8; 16]) }))
            .route("/gone", get(|| async { StatusCode::NOT_FOUND.into_response() })),
    )
    .await;
    let base: url::Url = format!("http://127.0.0.1:{}/", searx.addr.port())
        .parse()
        .unwrap();
    let (_root, set) = web_tools(WebConfig::new(UrlGuard::default(), Some(base.clone())));
    assert!(set.get("web_search").is_some() && set.get("web_fetch").is_some());

    let out = run(&set, "web_search", json!({"query": "rust async"}))
        .await
        .unwrap();
    assert_eq!(
        out,
        "1. [Rust](https://www.rust-lang.org/)\n   query was rust async\n2. [Crates](https://crates.io/)\n"
    );

    // The SearXNG host is trusted, so its pages can be fetched; the HTML becomes Markdown.
    let out = run(&set, "web_fetch", json!({"url": format!("{base}page")}))
        .await
        .unwrap();
    assert!(out.contains("# Guide"), "{out}");
    assert!(out.contains("[the crate](/x)"), "{out}");
    assert!(!out.contains("alert"), "{out}");
    let err = run(&set, "web_fetch", json!({"url": format!("{base}image")}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("image/png"), "{err}");

    // Anything else on loopback stays refused.
    let other = target().await;
    let err = run(
        &set,
        "web_fetch",
        json!({"url": format!("http://127.0.0.1:{}/", other.addr.port())}),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("loopback"), "{err}");
    assert_eq!(other.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn web_tools_are_absent_unless_enabled() {
    let root = tempfile::tempdir().unwrap();
    let env = Arc::new(ToolEnv::new(PathGuard::new(root.path()).unwrap()));
    let (set, _) = read_tools(env, Tier::All, None);
    assert!(set.get("web_fetch").is_none() && set.get("web_search").is_none());
    // Without a SearXNG URL only web_fetch is offered.
    let (_root, set) = web_tools(WebConfig::new(UrlGuard::default(), None));
    assert!(set.get("web_fetch").is_some() && set.get("web_search").is_none());
}
