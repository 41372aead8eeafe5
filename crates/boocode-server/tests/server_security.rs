//! Who may talk to the server: loopback by default, a token or a trusted proxy otherwise,
//! same-origin WebSockets, and no secrets in the logs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_testkit::ScriptedOpenAi;
use common::*;
use std::process::Stdio;
use std::time::Duration;

const TOKEN: &str = "correct-horse-battery-staple-42";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_loopback_bind_without_authentication_refuses_to_start() {
    let sandbox = Sandbox::new();
    for (env, needle) in [
        (
            vec![],
            "refusing to listen on 0.0.0.0:0 without authentication",
        ),
        (
            vec![("BOOCODE_AUTH_TOKEN", "short".to_owned())],
            "at least 16 characters",
        ),
    ] {
        let mut opts = Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into());
        opts.bind = "0.0.0.0:0";
        opts.env = env;
        let out = tokio::time::timeout(
            Duration::from_secs(30),
            command(&sandbox, &opts)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output(),
        )
        .await
        .unwrap()
        .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_unauthenticated_requests_get_401_and_the_login_cookie_works() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    let mut opts = Options::new(sandbox.sqlite_url(), model.url());
    opts.bind = "0.0.0.0:0";
    opts.env.push(("BOOCODE_AUTH_TOKEN", TOKEN.into()));
    opts.env
        .push(("BOOCODE_API_KEY", "sk-model-secret-123".into()));
    let server = Server::start(&sandbox, opts).await;
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let resp = plain
        .get(format!("{}/api/projects", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    let resp = plain
        .get(format!("{}/api/projects", server.url))
        .bearer_auth("wrong-token-wrong-token")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        server.get("/api/projects").await.0,
        200,
        "the bearer token works"
    );
    assert_eq!(
        plain
            .get(format!("{}/api/health", server.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let resp = plain.get(format!("{}/", server.url)).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/login");

    // The login page sets a cookie that then authenticates.
    let login = plain
        .get(format!("{}/login", server.url))
        .send()
        .await
        .unwrap();
    assert!(login.text().await.unwrap().contains("name=\"token\""));
    let bad = plain
        .post(format!("{}/login", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("token=nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let good = plain
        .post(format!("{}/login", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={TOKEN}"))
        .send()
        .await
        .unwrap();
    let cookie = good.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap();
    let resp = plain
        .get(format!("{}/api/projects", server.url))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    // WebSockets need the token too.
    let port = server.url.rsplit(':').next().unwrap();
    let err = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/api/user/ws"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");
    let mut ws = server.ws("/api/user/ws").await;
    assert_eq!(
        ws.next(Duration::from_secs(5)).await.unwrap()["type"],
        "ready"
    );

    // Neither secret ever reaches the log.
    let log = server.log_text();
    assert!(!log.is_empty());
    assert!(
        !log.contains(TOKEN) && !log.contains("sk-model-secret-123"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_websocket_upgrades_are_refused() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), model.url())).await;
    let (session, _) = server.session(&sandbox.repo("origin")).await;
    let port = server.url.rsplit(':').next().unwrap();
    for (origin, allowed) in [
        ("http://evil.example", false),
        ("http://127.0.0.1.evil.example", false),
        (format!("http://127.0.0.1:{port}").leak() as &str, true),
    ] {
        for path in [
            format!("/api/sessions/{session}/ws"),
            "/api/user/ws".to_owned(),
        ] {
            let mut request =
                tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                    format!("ws://127.0.0.1:{port}{path}"),
                )
                .unwrap();
            request
                .headers_mut()
                .insert("origin", origin.parse().unwrap());
            let result = tokio_tungstenite::connect_async(request).await;
            match (result, allowed) {
                (Ok(_), true) => {}
                (Err(e), false) => assert!(e.to_string().contains("403"), "{origin} {path}: {e}"),
                (r, _) => panic!(
                    "{origin} {path}: unexpected {:?}",
                    r.map(|_| ()).map_err(|e| e.to_string())
                ),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxy_header_authenticates_only_from_the_proxy() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    let mut opts = Options::new(sandbox.sqlite_url(), model.url());
    opts.bind = "0.0.0.0:0";
    opts.env
        .push(("BOOCODE_TRUSTED_PROXIES", "127.0.0.1".into()));
    let server = Server::start(&sandbox, opts).await;
    let plain = reqwest::Client::new();
    let without = plain
        .get(format!("{}/api/projects", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 401);
    let with = plain
        .get(format!("{}/api/projects", server.url))
        .header("Remote-User", "me")
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), 200);
}
