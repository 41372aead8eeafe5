//! Attacks on the real server binary, as a web page, a repository or a network neighbour would
//! make them; each must be refused with nothing leaked or changed (see docs/SECURITY.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_testkit::{Reply, ScriptedOpenAi};
use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

/// A raw HTTP/1.1 request (so any `Host` can be sent); the status line's code and the body.
async fn raw(addr: &str, request: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut out)).await;
    let out = String::from_utf8_lossy(&out).into_owned();
    let code = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, out)
}

fn host_of(url: &str) -> String {
    url.trim_start_matches("http://").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebinding_host_is_refused_on_rest_websockets_the_page_and_login() {
    let sandbox = Sandbox::new();
    let mut opts = Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into());
    opts.env.push(("BOOCODE_ALLOWED_HOSTS", "box.lan".into()));
    let server = Server::start(&sandbox, opts).await;
    let addr = host_of(&server.url);
    let port = addr.rsplit(':').next().unwrap().to_owned();
    let ws_upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    for path in [
        "/api/projects",
        "/",
        "/login",
        "/api/health",
        "/api/openapi.json",
    ] {
        let (code, body) = raw(
            &addr,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: evil.example:{port}\r\nConnection: close\r\n\r\n"
            ),
        )
        .await;
        assert_eq!(code, 421, "{path}: {body}");
        assert!(body.contains("host_not_allowed"), "{body}");
        assert!(
            body.contains("--allowed-host"),
            "the refusal says how: {body}"
        );
    }
    // The state-changing request a rebinding page would make.
    let (code, _) = raw(
        &addr,
        &format!("POST /api/projects HTTP/1.1\r\nHost: evil.example:{port}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}"),
    )
    .await;
    assert_eq!(code, 421);
    for path in ["/api/user/ws", "/api/sessions/ses_x/ws"] {
        let (code, body) = raw(
            &addr,
            &format!("GET {path} HTTP/1.1\r\nHost: evil.example:{port}\r\nOrigin: http://evil.example:{port}\r\n{ws_upgrade}Connection: close\r\n\r\n"),
        )
        .await;
        assert_eq!(code, 421, "{path}: {body}");
    }
    // Every route the router serves, from its own table: a rebinding name reaches none.
    for route in boocode_server::route_list() {
        let path = concrete(&route.path, "x");
        let (code, body) = raw(
            &addr,
            &format!(
                "{} {path} HTTP/1.1\r\nHost: evil.example:{port}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}",
                route.method
            ),
        )
        .await;
        assert_eq!(code, 421, "{} {path}: {body}", route.method);
    }
    // The names the server answers to.
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "box.lan".to_owned(),
    ] {
        let (code, body) = raw(
            &addr,
            &format!("GET /api/projects HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert_eq!(code, 200, "{host}: {body}");
    }
    // A same-origin WebSocket still opens.
    let (code, _) = raw(
        &addr,
        &format!("GET /api/user/ws HTTP/1.1\r\nHost: localhost:{port}\r\nOrigin: http://localhost:{port}\r\n{ws_upgrade}Connection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(code, 101);
}

/// Fills the `{params}` of a route with `id`.
fn concrete(path: &str, id: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str(id);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_and_non_json_requests_are_refused_on_every_state_changing_route() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), model.url())).await;
    let (session, chat) = server.session(&sandbox.repo("r")).await;
    let routes = boocode_server::route_list();
    let changing: Vec<_> = routes.iter().filter(|r| r.changes_state()).collect();
    assert!(
        changing.len() >= 10,
        "the route list is walked whole: {routes:?}"
    );
    let before = server.messages(&chat).await.len();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for route in &changing {
        // Ids that exist, so a refusal cannot be a 404 in disguise.
        let id = if route.path.contains("/sessions/") {
            &session
        } else {
            &chat
        };
        let url = format!("{}{}", server.url, concrete(&route.path, id));
        let form = route.path == "/login";
        // What a cross-site form or fetch "simple request" looks like.
        let attacks: Vec<(&str, Vec<(&str, &str)>)> = vec![
            (
                "cross-site text/plain",
                vec![
                    ("content-type", "text/plain"),
                    ("origin", "http://evil.example"),
                    ("sec-fetch-site", "cross-site"),
                ],
            ),
            (
                "cross-site form",
                vec![
                    ("content-type", "application/x-www-form-urlencoded"),
                    ("origin", "http://evil.example"),
                ],
            ),
            (
                "same-site page on another port",
                vec![
                    ("content-type", "application/json"),
                    ("origin", "http://localhost:1"),
                    ("sec-fetch-site", "same-site"),
                ],
            ),
            (
                "null origin",
                vec![("content-type", "application/json"), ("origin", "null")],
            ),
        ];
        for (what, headers) in attacks {
            let mut rb = http
                .request(route.method.clone(), &url)
                .body("token=x&text=hi");
            for (k, v) in &headers {
                rb = rb.header(*k, *v);
            }
            let status = rb.send().await.unwrap().status().as_u16();
            assert_eq!(status, 403, "{what} on {} {}", route.method, route.path);
        }
        // No Origin at all (curl, a script) but not JSON: refused too, except the login form.
        if !form {
            let status = http
                .request(route.method.clone(), &url)
                .header("content-type", "text/plain")
                .body("{}")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            assert_eq!(status, 415, "text/plain on {} {}", route.method, route.path);
        }
    }
    // Nothing reached a handler: no message, no project, no rename.
    assert_eq!(server.messages(&chat).await.len(), before);
    assert_eq!(model.completion_requests().len(), 0);
    let (_, projects) = server.get("/api/projects").await;
    assert_eq!(projects.as_array().unwrap().len(), 1);
    // The same-origin page's JSON request, with an empty body read as {}, still works.
    let port = server.url.rsplit(':').next().unwrap();
    let status = http
        .post(format!("{}/api/chats/{chat}/discard-stale", server.url))
        .header("content-type", "application/json")
        .header("origin", format!("http://127.0.0.1:{port}"))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_carry_the_security_headers_and_artifacts_a_no_network_policy() {
    let sandbox = Sandbox::new();
    let server = Server::start(
        &sandbox,
        Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into()),
    )
    .await;
    for path in ["/", "/api/projects", "/login"] {
        let resp = server
            .http
            .get(format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        let h = resp.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        for rule in [
            "default-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(rule), "{path}: {rule} in {csp}");
        }
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["x-frame-options"], "DENY");
    }
    let frame = server
        .http
        .get(format!("{}/artifact-frame", server.url))
        .send()
        .await
        .unwrap();
    let csp = frame.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("connect-src 'none'"),
        "{csp}"
    );
    assert!(
        !csp.contains("'self'") || csp.contains("frame-ancestors 'self'"),
        "{csp}"
    );
    assert_eq!(frame.headers()["x-frame-options"], "SAMEORIGIN");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_and_credential_folders_are_refused_as_projects() {
    let sandbox = Sandbox::new();
    let home = sandbox.home.path().canonicalize().unwrap();
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/credentials"),
        "aws_secret_access_key=AKIA_LEAK",
    )
    .unwrap();
    std::fs::create_dir_all(home.join("code/app")).unwrap();
    let mut opts = Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into());
    opts.env
        .push(("BOOCODE_ALLOWED_ROOTS", home.display().to_string()));
    let server = Server::start(&sandbox, opts).await;
    for root in [home.clone(), home.join(".aws")] {
        let (status, body) = server.post("/api/projects", json!({ "path": root })).await;
        assert_eq!(status, 403, "{root:?}: {body}");
        assert_eq!(body["error"]["code"], "unsafe_project_root", "{body}");
    }
    let (status, _) = server
        .post("/api/projects", json!({ "path": home.join("code/app") }))
        .await;
    assert_eq!(status, 201);
    let (_, projects) = server.get("/api/projects").await;
    assert_eq!(projects.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_boochat_files_neither_leak_nor_block_nor_exhaust_memory() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    let secret_dir = sandbox.home.path().join(".aws");
    std::fs::create_dir_all(&secret_dir).unwrap();
    std::fs::write(
        secret_dir.join("credentials"),
        "aws_secret_access_key=AKIA_BOOCHAT_LEAK",
    )
    .unwrap();
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), model.url())).await;
    type Plant = Box<dyn Fn(&std::path::Path)>;
    let cases: Vec<(&str, Plant)> = vec![
        (
            "a symlink to ~/.aws/credentials",
            Box::new({
                let target = secret_dir.join("credentials");
                move |repo| std::os::unix::fs::symlink(&target, repo.join("BOOCHAT.md")).unwrap()
            }),
        ),
        (
            "a FIFO",
            Box::new(|repo| {
                let status = std::process::Command::new("mkfifo")
                    .arg(repo.join("BOOCHAT.md"))
                    .status()
                    .unwrap();
                assert!(status.success());
            }),
        ),
        (
            "/dev/zero",
            Box::new(|repo| {
                std::os::unix::fs::symlink("/dev/zero", repo.join("BOOCHAT.md")).unwrap()
            }),
        ),
        (
            "/dev/stdin",
            Box::new(|repo| {
                std::os::unix::fs::symlink("/dev/stdin", repo.join("BOOCHAT.md")).unwrap()
            }),
        ),
        (
            "an agent file linked to the secret",
            Box::new({
                let target = secret_dir.join("credentials");
                move |repo| {
                    std::fs::create_dir_all(repo.join(".boocode/agents")).unwrap();
                    std::os::unix::fs::symlink(&target, repo.join(".boocode/agents/leak.md"))
                        .unwrap()
                }
            }),
        ),
    ];
    for (i, (what, plant)) in cases.iter().enumerate() {
        let repo = sandbox.repo(&format!("hostile{i}"));
        plant(&repo);
        let (session, chat) = server.session(&repo).await;
        let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
        model.push(Reply::text("fine"));
        let (status, body) = server
            .post(
                &format!("/api/chats/{chat}/messages"),
                json!({ "text": "hi" }),
            )
            .await;
        assert_eq!(status, 202, "{what}: {body}");
        // The server keeps answering while the turn runs.
        let started = Instant::now();
        let done = tokio::spawn(async move { ws.until(is_finished).await });
        while !done.is_finished() && started.elapsed() < Duration::from_secs(20) {
            let t = Instant::now();
            let (code, _) = tokio::time::timeout(Duration::from_secs(1), server.get("/api/health"))
                .await
                .unwrap_or_else(|_| panic!("{what}: /api/health took over 1 s"));
            assert_eq!(code, 200);
            assert!(t.elapsed() < Duration::from_secs(1), "{what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let frames = done.await.unwrap();
        let last = frames.last().unwrap();
        assert_eq!(last["message"]["status"], "complete", "{what}: {last}");
    }
    for request in model.requests() {
        let body = request.body.to_string();
        assert!(
            !body.contains("AKIA_BOOCHAT_LEAK"),
            "the secret reached the model"
        );
        assert!(body.len() < 200_000, "a capped prompt");
    }
    assert!(server.log_text().contains("skipping an instruction file"));
    assert!(!server.log_text().contains("AKIA_BOOCHAT_LEAK"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_tells_details_only_to_the_authenticated_and_the_login_cookie_is_not_the_token() {
    const TOKEN: &str = "correct-horse-battery-staple-42";
    let sandbox = Sandbox::new();
    let mut opts = Options::new(
        sandbox.sqlite_url(),
        "http://user:modelpass@127.0.0.1:9".into(),
    );
    opts.env.push(("BOOCODE_AUTH_TOKEN", TOKEN.into()));
    let server = Server::start(&sandbox, opts).await;
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let anonymous: serde_json::Value = plain
        .get(format!("{}/api/health", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(anonymous, json!({ "status": "ok" }));
    let (_, detailed) = server.get("/api/health").await;
    assert_eq!(detailed["store"], "sqlite", "{detailed}");
    let login = plain
        .post(format!("{}/login", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={TOKEN}"))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(!cookie.contains(TOKEN), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP on loopback: {cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    let value = pair.split_once('=').unwrap().1;
    assert!(value.len() >= 32, "{value}");
    let with = |c: String| {
        plain
            .get(format!("{}/api/projects", server.url))
            .header("cookie", c)
            .send()
    };
    assert_eq!(with(pair.clone()).await.unwrap().status(), 200);
    // The token itself, or a made-up id, is no session.
    assert_eq!(
        with(format!("boocode_auth={TOKEN}"))
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        with(format!("boocode_auth={}", "0".repeat(64)))
            .await
            .unwrap()
            .status(),
        401
    );
    // Credentials in the model URL never reach the log.
    assert!(
        !server.log_text().contains("modelpass"),
        "{}",
        server.log_text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_every_route_but_health_login_and_the_artifact_frame_needs_it() {
    const TOKEN: &str = "correct-horse-battery-staple-42";
    let sandbox = Sandbox::new();
    let mut opts = Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into());
    opts.env.push(("BOOCODE_AUTH_TOKEN", TOKEN.into()));
    let server = Server::start(&sandbox, opts).await;
    let (_, chat) = server.session(&sandbox.repo("auth")).await;
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let open = ["/api/health", "/login", "/artifact-frame"];
    for route in boocode_server::route_list() {
        if open.contains(&route.path.as_str()) {
            continue;
        }
        let url = format!("{}{}", server.url, concrete(&route.path, &chat));
        let status = plain
            .request(route.method.clone(), &url)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(
            status, 401,
            "{} {} without the token",
            route.method, route.path
        );
    }
    // The open ones hold nothing: health says only its status, the frame page has no data.
    let health: serde_json::Value = plain
        .get(format!("{}/api/health", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({ "status": "ok" }));
}
