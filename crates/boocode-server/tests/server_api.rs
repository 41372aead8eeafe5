//! The rest of the API: sidebar events across devices, workspace panes, settings, models and
//! context size, discard-stale.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_testkit::ScriptedOpenAi;
use common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sidebar_and_workspace_changes_reach_the_users_other_devices() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), model.url())).await;
    let mut phone = server.ws("/api/user/ws").await;
    assert_eq!(
        phone.next(Duration::from_secs(5)).await.unwrap()["type"],
        "ready"
    );

    let (session, chat) = server.session(&sandbox.repo("sidebar")).await;
    let created = phone.until(|f| f["type"] == "chat_created").await;
    assert_eq!(created[0]["type"], "session_created");
    assert_eq!(created[0]["session"]["id"], session.as_str());
    assert_eq!(created[1]["chat"]["id"], chat.as_str());

    let (status, renamed) = server
        .send(
            "PATCH",
            &format!("/api/sessions/{session}"),
            json!({ "title": "Renamed" }),
        )
        .await;
    assert_eq!((status, renamed["title"].as_str()), (200, Some("Renamed")));
    let frame = phone
        .until(|f| f["type"] == "session_updated")
        .await
        .pop()
        .unwrap();
    assert_eq!(frame["session"]["title"], "Renamed");
    server
        .send(
            "PATCH",
            &format!("/api/sessions/{session}"),
            json!({ "archived": true }),
        )
        .await;
    let frame = phone
        .until(|f| f["type"] == "session_updated")
        .await
        .pop()
        .unwrap();
    assert_eq!(frame["session"]["archived"], true);
    let (_, project) = server.get("/api/projects").await;
    let pid = project[0]["id"].as_str().unwrap();
    let (_, listed) = server.get(&format!("/api/projects/{pid}/sessions")).await;
    assert_eq!(
        listed.as_array().unwrap().len(),
        0,
        "archived sessions are hidden"
    );
    let (_, listed) = server
        .get(&format!("/api/projects/{pid}/sessions?archived=true"))
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let panes =
        json!({ "split": "horizontal", "panes": [{ "tabs": [{ "kind": "chat", "id": chat }] }] });
    let (status, _) = server
        .send(
            "PUT",
            &format!("/api/sessions/{session}/workspace"),
            json!({ "panes": panes, "origin": "laptop" }),
        )
        .await;
    assert_eq!(status, 200);
    let frame = phone
        .until(|f| f["type"] == "workspace_updated")
        .await
        .pop()
        .unwrap();
    assert_eq!(
        (frame["panes"].clone(), frame["origin"].as_str()),
        (panes.clone(), Some("laptop"))
    );
    let (_, saved) = server
        .get(&format!("/api/sessions/{session}/workspace"))
        .await;
    assert_eq!(saved["panes"], panes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_models_context_and_discard_stale() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    model.set_props_n_ctx(Some(32768));
    model.set_models(
        json!({ "data": [{ "id": "qwen3-coder" }, { "id": "small", "max_model_len": 4096 }] }),
    );
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), model.url())).await;

    let (status, _) = server
        .send("PUT", "/api/settings/theme", json!("dark"))
        .await;
    assert_eq!(status, 200);
    let (_, settings) = server.get("/api/settings").await;
    assert_eq!(settings, json!({ "theme": "dark" }));
    assert_eq!(
        server
            .send("DELETE", "/api/settings/theme", json!(null))
            .await
            .0,
        204
    );
    assert_eq!(
        server
            .send("DELETE", "/api/settings/theme", json!(null))
            .await
            .0,
        404
    );

    let (status, models) = server.get("/api/models").await;
    assert_eq!(status, 200, "{models}");
    assert_eq!(models["context"], 32768);
    assert_eq!(
        models["models"][1],
        json!({ "id": "small", "context": 4096 })
    );

    // A row left streaming (by a crash elsewhere) holds new messages in the queue until it is
    // discarded; then the waiting message runs.
    let (_session, chat) = server.session(&sandbox.repo("stale")).await;
    let db = boocode_store::Store::connect(&sandbox.sqlite_url())
        .await
        .unwrap();
    let stuck = boocode_core::Message::new(
        boocode_core::Role::Assistant,
        boocode_core::MessageStatus::Streaming,
        vec![],
    );
    db.append_message(chat.parse().unwrap(), &stuck)
        .await
        .unwrap();
    model.push(boocode_testkit::Reply::text("now it works"));
    let (status, posted) = server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": "hi" }),
        )
        .await;
    assert_eq!(status, 202, "{posted}");
    assert_eq!(posted["queued"]["text"], "hi", "{posted}");
    let (_, queue) = server.get(&format!("/api/chats/{chat}/queue")).await;
    assert_eq!(queue.as_array().unwrap().len(), 1, "{queue}");
    let (status, discarded) = server
        .post(&format!("/api/chats/{chat}/discard-stale"), json!({}))
        .await;
    assert_eq!((status, discarded["failed"].as_u64()), (200, Some(1)));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let messages = server.messages(&chat).await;
        if messages
            .iter()
            .any(|m| m["status"] == "complete" && m["parts"][0]["text"] == "now it works")
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{messages:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, queue) = server.get(&format!("/api/chats/{chat}/queue")).await;
    assert_eq!(queue, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_model_server_makes_the_model_list_a_clear_502() {
    let sandbox = Sandbox::new();
    let server = Server::start(
        &sandbox,
        Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into()),
    )
    .await;
    let (status, body) = server.get("/api/models").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (502, Some("model_unreachable")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1:9")
    );
}

/// The web client's typed API (`web/src/generated/api.ts`, by openapi-typescript) is generated
/// from this copy of the document; it fails when the copy is stale. Regenerate with
/// `UPDATE_TYPES=1 cargo test -p boocode-server --test server_api checked_in`.
#[test]
fn the_checked_in_openapi_document_is_current() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../web/src/generated/openapi.json");
    let mut fresh = boocode_server::openapi_document().to_pretty_json().unwrap();
    fresh.push('\n');
    boocode_testkit::assert_checked_in(
        &path,
        &fresh,
        "UPDATE_TYPES=1 cargo test -p boocode-server --test server_api checked_in && (cd web && npm run gen)",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_the_handlers() {
    let sandbox = Sandbox::new();
    let server = Server::start(
        &sandbox,
        Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into()),
    )
    .await;
    let (status, doc) = server.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/projects", "post"),
        ("/api/chats/{id}/messages", "post"),
        ("/api/chats/{id}/stop", "post"),
        ("/api/sessions/{id}/workspace", "put"),
        ("/api/models", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is missing"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Project",
        "Session",
        "Chat",
        "PostMessage",
        "Posted",
        "NewChat",
        "SessionCreated",
        "ChangeView",
        "ChangeReport",
        "InboxItem",
        "ErrorBody",
    ] {
        assert!(
            schemas.contains_key(name),
            "schema {name} is missing: {:?}",
            schemas.keys().collect::<Vec<_>>()
        );
    }
    assert!(
        paths["/api/chats/{id}/messages"]["post"]["responses"]
            .get("202")
            .is_some()
    );
    // Every REST route the router serves is documented (WebSockets and the document itself
    // aside), so a new route cannot be left out.
    for route in boocode_server::route_list() {
        if !route.path.starts_with("/api/")
            || route.path.ends_with("/ws")
            || route.path == "/api/openapi.json"
        {
            continue;
        }
        let method = route.method.as_str().to_lowercase();
        assert!(
            paths
                .get(&route.path)
                .and_then(|p| p.get(&method))
                .is_some(),
            "{method} {} is not in the OpenAPI document",
            route.path
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_ui_is_served_with_spa_fallback_and_cache_headers() {
    let sandbox = Sandbox::new();
    let web = sandbox.home.path().join("dist");
    std::fs::create_dir_all(web.join("assets")).unwrap();
    std::fs::write(
        web.join("index.html"),
        "<!doctype html><title>BooCode</title>",
    )
    .unwrap();
    std::fs::write(web.join("assets/app-1a2b3c.js"), "console.log(1)").unwrap();
    let mut opts = Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into());
    opts.env
        .push(("BOOCODE_WEB_DIR", web.display().to_string()));
    let server = Server::start(&sandbox, opts).await;
    let get = |path: &str| server.http.get(format!("{}{path}", server.url)).send();

    let page = get("/").await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-cache");
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let asset = get("/assets/app-1a2b3c.js").await.unwrap();
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        asset.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let route = get("/sessions/some-client-route").await.unwrap();
    assert_eq!(route.status(), 200, "client-side routes get the page");
    assert!(route.text().await.unwrap().contains("<title>BooCode"));
    assert_eq!(get("/assets/missing-9z.js").await.unwrap().status(), 404);
    assert_eq!(get("/favicon.ico").await.unwrap().status(), 404);
    // A client normalizes dot segments away; a raw request keeps them, and is refused.
    let normalized = get("/%2e%2e/%2e%2e/etc/passwd")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!normalized.contains("root:"), "{normalized}");
    let raw = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut tcp = tokio::net::TcpStream::connect(server.url.trim_start_matches("http://"))
            .await
            .unwrap();
        tcp.write_all(
            b"GET /../../etc/passwd HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        let mut out = String::new();
        tcp.read_to_string(&mut out).await.unwrap();
        out
    };
    assert!(
        raw.starts_with("HTTP/1.1 404") || raw.starts_with("HTTP/1.1 400"),
        "{raw}"
    );
    assert!(!raw.contains("root:"));
    assert_eq!(
        get("/api/unknown").await.unwrap().status(),
        404,
        "API paths never fall back to the page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_list_says_which_can_run_and_how_to_install_the_rest() {
    let sandbox = Sandbox::new();
    let settings = sandbox.home.path().join("server.toml");
    std::fs::write(
        &settings,
        "[providers.copilot]\nenabled = false\n\n[providers.qwen]\ncommand = \"/bin/false\"\n",
    )
    .unwrap();
    let mut options = Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into());
    options.env = vec![
        ("BOOCODE_CONFIG", settings.display().to_string()),
        // Nothing else on PATH: the agents the test does not name are missing.
        ("PATH", "/usr/bin:/bin".to_owned()),
    ];
    let server = Server::start(&sandbox, options).await;
    let (status, list) = server.get("/api/providers").await;
    assert_eq!(status, 200, "{list}");
    let find = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} is not listed: {list}"))
    };
    let native = find("boocode");
    assert_eq!(
        (native["state"].as_str(), native["kind"].as_str()),
        (Some("ready"), Some("native"))
    );
    let goose = find("goose");
    assert_eq!(goose["state"], "missing", "{goose}");
    assert!(
        goose["reason"].as_str().unwrap().contains("goose"),
        "{goose}"
    );
    assert!(
        goose["install"].as_str().unwrap().contains("goose"),
        "{goose}"
    );
    let copilot = find("copilot");
    assert_eq!(copilot["state"], "disabled", "{copilot}");
    let qwen = find("qwen");
    assert_eq!(qwen["state"], "broken", "{qwen}");
    assert!(
        qwen["reason"].is_string() && qwen["install"].is_null(),
        "{qwen}"
    );
    // Asked again, the same answer (kept, not probed again), and probed again on request.
    let (_, again) = server.get("/api/providers").await;
    assert_eq!(again, list);
    let (status, fresh) = server.get("/api/providers?refresh=true").await;
    assert_eq!(status, 200);
    assert_eq!(
        fresh.as_array().unwrap().len(),
        list.as_array().unwrap().len()
    );
    let (status, _) = server.get("/api/providers?refresh=maybe").await;
    assert_eq!(status, 400, "a malformed flag is refused");
}
