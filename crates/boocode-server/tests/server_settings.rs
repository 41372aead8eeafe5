//! The seed's settings through the real server: read grants, web access and the tool tier per
//! project and chat reach the model's tool list and the path and URL guards; the first-run
//! endpoint is probed, tested, saved (its key never shown) and used at once and after a restart.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_testkit::{Reply, ScriptedOpenAi};
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

/// The tool names a recorded completion request offered.
fn offered(request: &boocode_testkit::RecordedRequest) -> Vec<String> {
    request.body["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| t["function"]["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The content of the tool result in the latest completion request.
fn last_tool_result(model: &ScriptedOpenAi) -> String {
    let requests = model.completion_requests();
    let last = requests.last().unwrap();
    last.messages()
        .iter()
        .rev()
        .find(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

/// Scripts one tool call then a closing answer, runs the turn and returns the final message.
async fn tool_turn(
    server: &Server,
    ws: &mut Ws,
    model: &ScriptedOpenAi,
    chat: &str,
    tool: &str,
    args: Value,
) -> Value {
    model.push(Reply::stream().whole_tool_call("call_1", tool, &args.to_string()));
    model.push(Reply::stream().text("Done."));
    turn(server, ws, chat, "go").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_grants_web_access_and_tiers_reach_the_tools_and_guards() {
    let sandbox = Sandbox::new();
    for (db, _guard) in databases(&sandbox).await {
        let tag = if db.starts_with("sqlite") {
            "lite"
        } else {
            "pg"
        };
        let model = ScriptedOpenAi::start().await.unwrap();
        let server = Server::start(&sandbox, Options::new(db.clone(), model.url())).await;
        let repo = sandbox.repo(&format!("main-{tag}"));
        let other = sandbox.repos.path().join(format!("other-{tag}"));
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("notes.txt"), "granted text\n").unwrap();
        std::fs::write(other.join(".env"), "API_TOKEN=hunter2\n").unwrap();
        let (session, chat) = server.session(&repo).await;
        let (_, view) = server.get(&format!("/api/sessions/{session}")).await;
        let project = view["session"]["project_id"].as_str().unwrap().to_owned();
        let project_path = format!("/api/projects/{project}");

        // Hostile or broken grants are refused with the field named; nothing is stored.
        let too_many: Vec<String> = (0..33).map(|_| other.display().to_string()).collect();
        for grants in [
            json!(["/"]),
            json!(["relative/dir"]),
            json!([other.join("missing").display().to_string()]),
            json!([other.join("notes.txt").display().to_string()]),
            json!([format!("{}\u{0}x", other.display())]),
            json!(too_many),
        ] {
            let (status, body) = server
                .send(
                    "PATCH",
                    &project_path,
                    json!({ "settings": { "read_grants": grants } }),
                )
                .await;
            assert_eq!(status, 400, "{grants}: {body}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("read_grants"),
                "{body}"
            );
        }
        let (status, body) = server
            .send(
                "PATCH",
                &format!("/api/chats/{chat}"),
                json!({ "settings": { "web": true } }),
            )
            .await;
        assert_eq!(status, 400, "a chat has no project settings: {body}");

        // A grant through a symlink is stored as the canonical directory.
        let link = sandbox.repos.path().join(format!("link-{tag}"));
        std::os::unix::fs::symlink(&other, &link).unwrap();
        let (status, body) = server
            .send(
                "PATCH",
                &project_path,
                json!({ "settings": { "read_grants": [link.display().to_string()] } }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let canonical = other.canonicalize().unwrap().display().to_string();
        assert_eq!(body["settings"]["read_grants"], json!([canonical]));
        assert_eq!(body["settings"]["web"], false);
        assert_eq!(body["settings"]["tool_tier"], "standard");

        let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
        ws.next(Duration::from_secs(10)).await.unwrap();

        // The grant lets the chat read the other repository; its secrets stay refused.
        let notes = other.join("notes.txt").display().to_string();
        tool_turn(
            &server,
            &mut ws,
            &model,
            &chat,
            "view_file",
            json!({ "path": notes }),
        )
        .await;
        assert!(
            last_tool_result(&model).contains("granted text"),
            "{}",
            last_tool_result(&model)
        );
        let first = &model.completion_requests()[0];
        let tools = offered(first);
        assert!(tools.contains(&"view_file".to_owned()), "{tools:?}");
        assert!(
            !tools.contains(&"web_fetch".to_owned()),
            "web is off by default: {tools:?}"
        );

        let env = other.join(".env").display().to_string();
        tool_turn(
            &server,
            &mut ws,
            &model,
            &chat,
            "view_file",
            json!({ "path": env }),
        )
        .await;
        let refused = last_tool_result(&model);
        assert!(!refused.contains("hunter2"), "{refused}");

        // Without the grant the same read is refused.
        let (status, _) = server
            .send(
                "PATCH",
                &project_path,
                json!({ "settings": { "read_grants": [] } }),
            )
            .await;
        assert_eq!(status, 200);
        tool_turn(
            &server,
            &mut ws,
            &model,
            &chat,
            "view_file",
            json!({ "path": notes }),
        )
        .await;
        let result = last_tool_result(&model);
        assert!(!result.contains("granted text"), "{result}");

        // Web on and the core tier for this chat: web_fetch is offered (web access is an
        // explicit opt-in, whatever the tier), goes through the URL guard (loopback refused),
        // and the core tier leaves view_truncated_output out.
        let (status, body) = server
            .send(
                "PATCH",
                &format!("/api/chats/{chat}"),
                json!({ "web": "on", "tool_tier": "core" }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["web"], true);
        assert_eq!(body["tool_tier"], "core");
        let before = model.completion_requests().len();
        tool_turn(
            &server,
            &mut ws,
            &model,
            &chat,
            "web_fetch",
            json!({ "url": format!("{}/v1/models", model.url()) }),
        )
        .await;
        let tools = offered(&model.completion_requests()[before]);
        assert!(tools.contains(&"web_fetch".to_owned()), "{tools:?}");
        assert!(
            !tools.contains(&"web_search".to_owned()),
            "no SearXNG set: {tools:?}"
        );
        assert!(
            !tools.contains(&"view_truncated_output".to_owned()),
            "{tools:?}"
        );
        let fetched = last_tool_result(&model);
        assert!(
            fetched.contains("loopback")
                || fetched.contains("refused")
                || fetched.contains("blocked"),
            "web_fetch to loopback must be refused: {fetched}"
        );
        // A SearXNG URL in the settings adds web_search; following the project turns web off.
        let (status, _) = server
            .send(
                "PUT",
                "/api/settings/searxng_url",
                json!("http://127.0.0.1:9/"),
            )
            .await;
        assert_eq!(status, 200);
        let before = model.completion_requests().len();
        model.push(Reply::stream().text("Hi."));
        turn(&server, &mut ws, &chat, "search?").await;
        let tools = offered(&model.completion_requests()[before]);
        assert!(tools.contains(&"web_search".to_owned()), "{tools:?}");

        let (status, body) = server
            .send(
                "PATCH",
                &format!("/api/chats/{chat}"),
                json!({ "web": "project", "tool_tier": "project" }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["web"], Value::Null);
        let before = model.completion_requests().len();
        model.push(Reply::stream().text("Hi."));
        turn(&server, &mut ws, &chat, "again").await;
        let tools = offered(&model.completion_requests()[before]);
        assert!(!tools.contains(&"web_fetch".to_owned()), "{tools:?}");
        let (status, body) = server
            .send(
                "PATCH",
                &format!("/api/chats/{chat}"),
                json!({ "web": "sometimes" }),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        ws.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_endpoint_is_used_at_once_and_after_a_restart() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    // Nothing listens on port 9 here: the first run has no model server.
    let dead = "http://127.0.0.1:9".to_owned();
    let mut server =
        Server::start(&sandbox, Options::new(sandbox.sqlite_url(), dead.clone())).await;

    let (status, setup) = server.get("/api/setup").await;
    assert_eq!(status, 200, "{setup}");
    assert_eq!(setup["ready"], false, "{setup}");
    assert_eq!(setup["probes"][0]["url"], dead);
    assert_eq!(setup["probes"][0]["reachable"], false);
    assert!(setup["probes"][0]["error"].as_str().is_some());
    let labels: Vec<&str> = setup["probes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["label"].as_str())
        .collect();
    for label in ["Ollama", "LM Studio", "vLLM"] {
        assert!(labels.contains(&label), "{labels:?}");
    }

    let (session, chat) = server.session(&sandbox.repo("first-run")).await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    ws.next(Duration::from_secs(10)).await.unwrap();
    let failed = turn(&server, &mut ws, &chat, "hello?").await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed.to_string().contains("connection refused"),
        "{failed}"
    );

    // Bad bodies are refused before anything is tried or saved.
    for body in [
        json!({ "url": "ftp://example.com" }),
        json!({ "url": "not a url" }),
        json!({ "url": model.url(), "api_key": "x".repeat(5000) }),
        json!({ "url": model.url(), "extra": 1 }),
    ] {
        let (status, answer) = server.post("/api/setup/test", body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        let (status, answer) = server
            .send("PUT", "/api/setup/endpoint", body.clone())
            .await;
        assert_eq!(status, 400, "{body}: {answer}");
    }
    let (status, answer) = server
        .post(
            "/api/setup/test",
            json!({ "url": format!("{}/v1", model.url()), "api_key": "sk-first" }),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["reachable"], true, "{answer}");
    assert!(!answer["models"].as_array().unwrap().is_empty(), "{answer}");

    let (status, saved) = server
        .send(
            "PUT",
            "/api/setup/endpoint",
            json!({ "url": model.url(), "api_key": "sk-first", "model": "tiny" }),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["has_key"], true);
    assert_eq!(saved["saved"], true);
    assert_eq!(saved["model"], "tiny");

    // The key never leaves the server, and the generic settings routes cannot overwrite it.
    let (_, settings) = server.get("/api/settings").await;
    assert!(!settings.to_string().contains("sk-first"), "{settings}");
    assert_eq!(settings["model_endpoint"]["has_key"], true);
    let (_, setup) = server.get("/api/setup").await;
    assert!(!setup.to_string().contains("sk-first"), "{setup}");
    assert_eq!(setup["ready"], true, "{setup}");
    let (status, _) = server
        .send(
            "PUT",
            "/api/settings/model_endpoint",
            json!({ "url": dead }),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = server
        .send("DELETE", "/api/settings/model_endpoint", Value::Null)
        .await;
    assert_eq!(status, 400);

    // The next message uses it: no restart.
    model.push(Reply::stream().text("Hello from the saved endpoint."));
    let answered = turn(&server, &mut ws, &chat, "hello again").await;
    assert_eq!(answered["status"], "complete", "{answered}");
    let request = model.completion_requests().pop().unwrap();
    assert_eq!(
        request.headers.get("authorization").map(String::as_str),
        Some("Bearer sk-first")
    );
    assert_eq!(request.body["model"], "tiny");
    ws.close().await;

    // Saving again without a key keeps the key for the same URL.
    let (status, saved) = server
        .send(
            "PUT",
            "/api/setup/endpoint",
            json!({ "url": model.url(), "model": "tiny" }),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["has_key"], true);

    // After a restart on the same database, still pointed at the dead URL, the saved endpoint
    // is the one in use.
    assert!(server.terminate().await.success());
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), dead)).await;
    let (_, setup) = server.get("/api/setup").await;
    assert_eq!(setup["ready"], true, "{setup}");
    assert_eq!(setup["endpoint"]["url"], model.url());
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    ws.next(Duration::from_secs(10)).await.unwrap();
    model.push(Reply::stream().text("Still here."));
    let answered = turn(&server, &mut ws, &chat, "after restart").await;
    assert_eq!(answered["status"], "complete", "{answered}");
    assert_eq!(
        model
            .completion_requests()
            .pop()
            .unwrap()
            .headers
            .get("authorization")
            .map(String::as_str),
        Some("Bearer sk-first")
    );
    ws.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_completion_and_agents_stay_inside_the_guards() {
    let sandbox = Sandbox::new();
    let model = ScriptedOpenAi::start().await.unwrap();
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), model.url())).await;
    let repo = sandbox.repo("mentions");
    std::fs::write(repo.join(".env"), "API_TOKEN=hunter2\n").unwrap();
    std::fs::write(repo.join("id_rsa"), "-----BEGIN OPENSSH PRIVATE KEY-----\n").unwrap();
    std::fs::write(repo.join(".gitignore"), "target/\n").unwrap();
    std::fs::create_dir_all(repo.join("target")).unwrap();
    std::fs::write(repo.join("target/server_gen.rs"), "// built\n").unwrap();
    std::os::unix::fs::symlink("/etc", repo.join("etc-link")).unwrap();
    std::fs::create_dir_all(repo.join(".boocode/agents")).unwrap();
    std::fs::write(
        repo.join(".boocode/agents/reviewer.md"),
        "---\nname: reviewer\ndescription: Reads only\ntools: [grep]\n---\nReview.\n",
    )
    .unwrap();
    let (session, _) = server.session(&repo).await;
    let (_, view) = server.get(&format!("/api/sessions/{session}")).await;
    let project = view["session"]["project_id"].as_str().unwrap().to_owned();
    let paths = |q: &str| format!("/api/projects/{project}/paths?q={q}");

    let (status, found) = server.get(&paths("server")).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        found,
        json!(["src/server.rs"]),
        "ignored files are left out"
    );
    let (_, all) = server.get(&paths("")).await;
    let all: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(all.contains(&"src/main.rs"), "{all:?}");
    for hidden in [".env", "id_rsa", "passwd", "hosts", "target/server_gen.rs"] {
        assert!(
            !all.iter().any(|p| p.ends_with(hidden)),
            "{hidden} must not be offered: {all:?}"
        );
    }
    let (_, none) = server.get(&paths("passwd")).await;
    assert_eq!(
        none,
        json!([]),
        "symlinks out of the project are not followed"
    );
    let (status, _) = server.get(&paths(&"x".repeat(300))).await;
    assert_eq!(status, 400);
    let (_, capped) = server
        .get(&format!("/api/projects/{project}/paths?limit=100000"))
        .await;
    assert!(capped.as_array().unwrap().len() <= 50);
    let (status, _) = server
        .get("/api/projects/00000000-0000-0000-0000-000000000000/paths?q=a")
        .await;
    assert_eq!(status, 404);

    let (status, agents) = server.get(&format!("/api/projects/{project}/agents")).await;
    assert_eq!(status, 200, "{agents}");
    // The project's reviewer replaces the built-in one; the other built-ins are listed too.
    let list = agents.as_array().unwrap();
    let reviewer = list.iter().find(|a| a["name"] == "reviewer").unwrap();
    assert_eq!(reviewer["tools"], json!(["grep"]));
    assert_eq!(reviewer["scope"], "project");
    assert_eq!(reviewer["description"], "Reads only");
    let builtin: Vec<&str> = list
        .iter()
        .filter(|a| a["scope"] == "builtin")
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(builtin, ["architect", "orchestrator", "refactorer"]);

    // Without a project: the built-in agents and the user's own (one disabled).
    let user_agents = sandbox.home.path().join("config/boocode/agents");
    std::fs::create_dir_all(&user_agents).unwrap();
    std::fs::write(
        user_agents.join("mine.md"),
        "---\nname: mine\ndescription: My own\n---\nHelp.\n",
    )
    .unwrap();
    std::fs::write(
        user_agents.join("refactorer.md"),
        "---\nname: refactorer\ndisabled: true\n---\n",
    )
    .unwrap();
    let (status, global) = server.get("/api/agents").await;
    assert_eq!(status, 200, "{global}");
    let scoped: Vec<(&str, &str)> = global
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap(), a["scope"].as_str().unwrap()))
        .collect();
    assert_eq!(
        scoped,
        [
            ("architect", "builtin"),
            ("mine", "global"),
            ("orchestrator", "builtin"),
            ("reviewer", "builtin")
        ]
    );
    // Behind the same request guard as every route: a rebinding Host is refused.
    let rebound = server
        .http
        .get(format!("{}/api/agents", server.url))
        .header("Host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 421);
}
