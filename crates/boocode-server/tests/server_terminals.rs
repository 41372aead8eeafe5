//! Terminals through the real server: a shell in a PTY over a WebSocket (raw bytes both ways,
//! JSON control frames), resize, detach and reattach with the scrollback, two viewers, closing
//! with the session, and hostile input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use common::*;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// A terminal viewer: everything it received, as text, and the control frames.
struct Viewer {
    ws: Ws,
    screen: String,
    controls: Vec<Value>,
}

impl Viewer {
    async fn open(server: &Server, id: &str) -> Viewer {
        Viewer {
            ws: server.ws(&format!("/api/terminals/{id}/ws")).await,
            screen: String::new(),
            controls: Vec::new(),
        }
    }

    async fn send(&mut self, text: &str) {
        self.ws
            .stream
            .send(WsMessage::Binary(text.as_bytes().to_vec().into()))
            .await
            .unwrap();
    }

    async fn control(&mut self, value: Value) {
        self.ws
            .stream
            .send(WsMessage::Text(value.to_string().into()))
            .await
            .unwrap();
    }

    /// Reads whatever arrives within `window` (to check that something does not).
    async fn drain(&mut self, window: Duration) {
        let end = Instant::now() + window;
        while let Ok(Some(Ok(msg))) = tokio::time::timeout(
            end.saturating_duration_since(Instant::now()),
            self.ws.stream.next(),
        )
        .await
        {
            match msg {
                WsMessage::Binary(b) => self.screen.push_str(&String::from_utf8_lossy(&b)),
                WsMessage::Text(t) => self.controls.push(serde_json::from_str(&t).unwrap()),
                _ => {}
            }
        }
    }

    /// Reads until `done` holds for the screen (panics after 15 s).
    async fn until(&mut self, done: impl Fn(&str, &[Value]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !done(&self.screen, &self.controls) {
            let left = deadline.saturating_duration_since(Instant::now());
            let next = tokio::time::timeout(left, self.ws.stream.next())
                .await
                .unwrap_or_else(|_| panic!("timed out; screen so far: {:?}", self.screen));
            match next {
                Some(Ok(WsMessage::Binary(b))) => {
                    self.screen.push_str(&String::from_utf8_lossy(&b))
                }
                Some(Ok(WsMessage::Text(t))) => {
                    self.controls.push(serde_json::from_str(&t).unwrap())
                }
                Some(Ok(WsMessage::Close(frame))) => {
                    self.controls
                        .push(json!({ "closed": frame.map(|f| f.reason.to_string()) }));
                    return;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    self.controls.push(json!({ "closed": e.to_string() }));
                    return;
                }
                None => return,
            }
        }
    }
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

async fn terminal(server: &Server, session: &str, body: Value) -> (u16, Value) {
    server
        .post(&format!("/api/sessions/{session}/terminals"), body)
        .await
}

fn alive(pid: &str) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_over_a_websocket_with_resize_reattach_and_two_viewers() {
    let sandbox = Sandbox::new();
    let server = Server::start(
        &sandbox,
        Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into())
            .with_env("SHELL", "/bin/bash")
            .with_env("BOOCODE_API_KEY", "sk-must-not-leak"),
    )
    .await;
    let repo = sandbox.repo("term");
    let (session, _) = server.session(&repo).await;
    let (status, created) = terminal(
        &server,
        &session,
        json!({ "cols": 100, "rows": 30, "cwd": "src" }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["cwd"], "src");
    assert_eq!(created["cols"], 100);
    assert_eq!(created["program"], "/bin/bash");
    let id = created["id"].as_str().unwrap().to_owned();

    let mut a = Viewer::open(&server, &id).await;
    a.send("echo hi-$((40+2)); pwd; env | grep -c sk-must-not-leak\n")
        .await;
    a.until(|s, _| s.contains("hi-42") && s.contains("/src\r\n0\r\n"))
        .await;

    // Resize: `stty size` sees the new size.
    a.control(json!({ "type": "resize", "cols": 120, "rows": 40 }))
        .await;
    a.send("stty size\n").await;
    a.until(|s, _| s.contains("40 120")).await;
    let (_, list) = server
        .get(&format!("/api/sessions/{session}/terminals"))
        .await;
    assert_eq!(list[0]["cols"], 120);
    assert_eq!(list[0]["rows"], 40);

    // Detach; output while nobody watches lands in the scrollback.
    a.ws.close().await;
    let (status, _) = server
        .send(
            "PATCH",
            &format!("/api/terminals/{id}"),
            json!({ "title": "build" }),
        )
        .await;
    assert_eq!(status, 200);
    {
        let mut b = Viewer::open(&server, &id).await;
        b.until(|s, _| s.contains("40 120")).await;
        b.send("for i in 1 2 3; do echo tick-$i; done\n").await;
        b.until(|s, _| s.contains("tick-3\r\n")).await;
        b.ws.close().await;
    }
    // Reattach: exactly the scrollback once, then live bytes.
    let mut c = Viewer::open(&server, &id).await;
    let mut d = Viewer::open(&server, &id).await;
    c.until(|s, _| count(s, "tick-3\r\n") >= 1).await;
    d.until(|s, _| count(s, "tick-3\r\n") >= 1).await;
    c.send("echo both-see-$((6*7))\n").await;
    c.until(|s, _| s.contains("both-see-42")).await;
    d.until(|s, _| s.contains("both-see-42")).await;
    assert_eq!(
        count(&c.screen, "hi-42\r\n"),
        1,
        "the scrollback is replayed once: {:?}",
        c.screen
    );
    assert_eq!(count(&c.screen, "tick-2\r\n"), 1);
    assert_eq!(count(&d.screen, "both-see-42\r\n"), 1);
    assert_eq!(list[0]["title"], "bash");
    let (_, list) = server
        .get(&format!("/api/sessions/{session}/terminals"))
        .await;
    assert_eq!(list[0]["title"], "build");

    // Text sent from a chat waits at the prompt: nothing runs until Enter.
    let (status, _) = server
        .post(
            &format!("/api/terminals/{id}/input"),
            json!({ "text": "echo sent-$((1+1))\n" }),
        )
        .await;
    assert_eq!(status, 204);
    c.until(|s, _| s.contains("echo sent-$((1+1))")).await;
    c.drain(Duration::from_millis(500)).await;
    assert!(
        !c.screen.contains("sent-2"),
        "it must not run: {:?}",
        c.screen
    );
    c.send("\n").await;
    c.until(|s, _| s.contains("sent-2")).await;
    let (status, _) = server
        .post(
            &format!("/api/terminals/{id}/input"),
            json!({ "text": "\n" }),
        )
        .await;
    assert_eq!(status, 400);

    // The program's exit reaches every viewer with its code.
    c.send("exit 7\n").await;
    c.until(|_, ctl| ctl.iter().any(|v| v["type"] == "exit"))
        .await;
    d.until(|_, ctl| ctl.iter().any(|v| v["type"] == "exit"))
        .await;
    let exit = c.controls.iter().find(|v| v["type"] == "exit").unwrap();
    assert_eq!(exit["code"], 7, "{exit}");
    let (_, list) = server
        .get(&format!("/api/sessions/{session}/terminals"))
        .await;
    assert_eq!(list[0]["exit"]["code"], 7);

    // Closing forgets it.
    let (status, _) = server
        .send("DELETE", &format!("/api/terminals/{id}"), Value::Null)
        .await;
    assert_eq!(status, 204);
    let (status, _) = server
        .send("DELETE", &format!("/api/terminals/{id}"), Value::Null)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archiving_the_session_kills_the_process_group_and_hostile_input_is_bounded() {
    let sandbox = Sandbox::new();
    let server = Server::start(
        &sandbox,
        Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into())
            .with_env("SHELL", "/bin/bash"),
    )
    .await;
    let repo = sandbox.repo("hostile");
    let (session, _) = server.session(&repo).await;

    // Bad requests are refused with the field named.
    for (body, field) in [
        (json!({ "cwd": "../.." }), "cwd"),
        (json!({ "cwd": "/etc" }), "cwd"),
        (json!({ "cwd": "src/main.rs" }), "cwd"),
        (json!({ "command": "no-such-provider" }), "command"),
        (json!({ "cols": 0, "rows": 24 }), "invalid"),
        (json!({ "cols": 80, "rows": 9000 }), "invalid"),
    ] {
        let (status, err) = terminal(&server, &session, body.clone()).await;
        assert_eq!(status, 400, "{body}: {err}");
        let text = err.to_string();
        assert!(
            text.contains(field) || text.contains("columns"),
            "{body}: {err}"
        );
    }
    let (status, _) = terminal(&server, "00000000-0000-0000-0000-000000000000", json!({})).await;
    assert_eq!(status, 404);
    // A page on another origin cannot open a terminal's socket.
    let (_, live) = terminal(&server, &session, json!({})).await;
    let live_id = live["id"].as_str().unwrap().to_owned();
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
            "ws://{}/api/terminals/{live_id}/ws",
            server.addr
        ))
        .unwrap();
    request
        .headers_mut()
        .insert("origin", "http://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("a cross-origin terminal socket must be refused, got {other:?}"),
    }
    let (status, _) = server
        .send("DELETE", &format!("/api/terminals/{live_id}"), Value::Null)
        .await;
    assert_eq!(status, 204);
    match tokio_tungstenite::connect_async(format!(
        "ws://{}/api/terminals/term_nope/ws",
        server.addr
    ))
    .await
    {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 404)
        }
        other => panic!("a missing terminal must be a 404, got {other:?}"),
    }

    // A background job in the terminal's process group.
    let (_, created) = terminal(&server, &session, json!({})).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let mut v = Viewer::open(&server, &id).await;
    v.send("sleep 1000 & echo bg-pid=$!\n").await;
    // The typed line echoes `bg-pid=$!`; the answer has digits.
    let digits_after = |s: &str| {
        s.match_indices("bg-pid=")
            .find(|(i, _)| s[i + 7..].starts_with(|c: char| c.is_ascii_digit()))
            .map(|(i, _)| {
                s[i + 7..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
    };
    v.until(|s, _| digits_after(s).is_some_and(|d| s.contains(&format!("bg-pid={d}\r\n"))))
        .await;
    let pid = digits_after(&v.screen).unwrap();
    assert!(alive(&pid), "the background job runs: {pid}");

    // Hostile input: a resize storm, binary garbage, an oversized frame, a text frame that is
    // not a control message. The server stays responsive throughout.
    for i in 0..1000u16 {
        v.control(json!({ "type": "resize", "cols": 20 + (i % 200), "rows": 10 + (i % 50) }))
            .await;
    }
    v.ws.stream
        .send(WsMessage::Binary(
            (0u8..=255)
                .cycle()
                .take(64 * 1024)
                .collect::<Vec<u8>>()
                .into(),
        ))
        .await
        .unwrap();
    let (status, _) = server.get("/api/health").await;
    assert_eq!(status, 200);
    let big = vec![b'x'; 2 * 1024 * 1024];
    let _ = v.ws.stream.send(WsMessage::Binary(big.into())).await;
    v.until(|_, ctl| ctl.iter().any(|c| c.get("closed").is_some()))
        .await;
    let mut w = Viewer::open(&server, &id).await;
    w.control(json!({ "type": "paste" })).await;
    w.until(|_, ctl| ctl.iter().any(|c| c.get("closed").is_some()))
        .await;
    let closed = w
        .controls
        .iter()
        .find_map(|c| c["closed"].as_str())
        .unwrap_or_default();
    assert!(closed.contains("control messages"), "{closed}");

    // A viewer that never reads while the terminal floods: the server's memory stays bounded and
    // other requests are answered.
    let (_, flood) = terminal(&server, &session, json!({})).await;
    let flood_id = flood["id"].as_str().unwrap().to_owned();
    let mut lazy = Viewer::open(&server, &flood_id).await;
    lazy.send("head -c 50000000 /dev/zero | tr '\\0' 'y'\n")
        .await;
    let rss = |pid: u32| -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap()
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap()
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (status, _) = server
        .get(&format!("/api/sessions/{session}/terminals"))
        .await;
    assert_eq!(status, 200, "the server answers while a viewer stalls");
    let server_pid = server.child.id().unwrap();
    let kib = rss(server_pid);
    assert!(
        kib < 200 * 1024,
        "server RSS {kib} KiB with a stalled viewer"
    );
    drop(lazy);

    // Archiving the session ends every terminal with its process group.
    let (status, _) = server
        .send(
            "PATCH",
            &format!("/api/sessions/{session}"),
            json!({ "archived": true }),
        )
        .await;
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(&pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!alive(&pid), "the background job died with the session");
    let (_, list) = server
        .get(&format!("/api/sessions/{session}/terminals"))
        .await;
    assert_eq!(list, json!([]));
    let (status, _) = terminal(&server, &session, json!({})).await;
    assert_eq!(status, 400, "no terminals in an archived session");
}

/// A chat with a PTY provider: `tui` is a small full-screen program (tests/peers), `oneshot` a
/// CLI that answers once and exits.
fn pty_providers(sandbox: &Sandbox) -> String {
    let tui = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/peers/scripted-tui.sh");
    let settings = sandbox.home.path().join("server.toml");
    std::fs::write(
        &settings,
        format!(
            "[providers.tui]\ncommand = {:?}\nargs = [\"Tiny TUI\"]\nidle_ms = 1500\n\n\
             [providers.oneshot]\ncommand = \"bash\"\n\
             args = [\"-c\", \"read q; echo \\\"got $q; secrets: $(env | grep -c must-not-leak)\\\"; exit 5\"]\n",
            tui.display().to_string()
        ),
    )
    .unwrap();
    settings.display().to_string()
}

async fn chat_with(server: &Server, repo: &std::path::Path, provider: &str) -> (String, String) {
    let (_, project) = server.post("/api/projects", json!({ "path": repo })).await;
    let (status, created) = server
        .post(
            &format!("/api/projects/{}/sessions", project["id"].as_str().unwrap()),
            json!({ "title": "tui", "provider": provider }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    (
        created["session"]["id"].as_str().unwrap().to_owned(),
        created["chat"]["id"].as_str().unwrap().to_owned(),
    )
}

/// The one terminal part of a stored message: (terminal id, output, exit code).
fn terminal_part(message: &Value) -> (String, String, Value) {
    let parts: Vec<&Value> = message["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "terminal")
        .collect();
    assert_eq!(parts.len(), 1, "{message}");
    (
        parts[0]["terminal_id"].as_str().unwrap().to_owned(),
        parts[0]["output"].as_str().unwrap().to_owned(),
        parts[0]["exit_code"].clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tui_agent_runs_in_a_session_terminal_with_its_screen_kept_in_the_chat() {
    let sandbox = Sandbox::new();
    let server = Server::start(
        &sandbox,
        Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into())
            .with_env("BOOCODE_CONFIG", pty_providers(&sandbox))
            .with_env("BOOCODE_API_KEY", "sk-must-not-leak"),
    )
    .await;
    let repo = sandbox.repo("tui");
    let (session, chat) = chat_with(&server, &repo, "tui").await;
    let mut user = server.ws("/api/user/ws").await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;

    // The first prompt starts the program in one of the session's terminals, owned by the chat;
    // the turn ends when the program goes quiet, and the chat keeps the screen as text.
    let message = turn(&server, &mut ws, &chat, "what is up").await;
    assert_eq!(message["status"], "complete", "{message}");
    let (id, screen, exit) = terminal_part(&message);
    assert!(screen.starts_with(" Tiny TUI"), "{screen:?}");
    assert!(
        screen.contains("Answer 1: you asked \"what is up\""),
        "{screen:?}"
    );
    assert!(
        !screen.contains("Thinking") && !screen.contains('\u{1b}'),
        "{screen:?}"
    );
    assert_eq!(exit, Value::Null);
    let (_, list) = server
        .get(&format!("/api/sessions/{session}/terminals"))
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["chat_id"], chat.as_str());
    assert_eq!(list[0]["title"], "scripted-tui.sh");
    assert!(list[0]["exit"].is_null());
    // The stored history says the same.
    let stored = server.messages(&chat).await;
    assert_eq!(terminal_part(stored.last().unwrap()).1, screen);

    // Quiet after answering, it waits for input: the inbox lists it and clients hear the count.
    user.until(|f| f["type"] == "terminals_waiting" && f["waiting"] == 1)
        .await;
    let (status, waiting) = server.get("/api/inbox/terminals").await;
    assert_eq!(status, 200);
    assert_eq!(waiting[0]["id"], id.as_str(), "{waiting}");
    assert_eq!(waiting[0]["waiting"], true);

    // People watch it and type into it like any terminal: a viewer gets the screen, and a key
    // typed there ends the wait.
    let mut viewer = Viewer::open(&server, &id).await;
    viewer.until(|s, _| s.contains("Answer 1")).await;
    viewer.send("by hand\r").await;
    user.until(|f| f["type"] == "terminals_waiting" && f["waiting"] == 0)
        .await;
    viewer.until(|s, _| s.contains("Answer 2")).await;

    // The next prompt goes to the same program (still running).
    let message = turn(&server, &mut ws, &chat, "and now").await;
    let (again, screen, _) = terminal_part(&message);
    assert_eq!(again, id, "the same terminal");
    assert!(
        screen.contains("Answer 3: you asked \"and now\""),
        "{screen:?}"
    );

    // Its exit ends the turn (exit code 0 → complete) and is kept with the screen.
    let message = turn(&server, &mut ws, &chat, "quit").await;
    let (_, screen, exit) = terminal_part(&message);
    assert_eq!(exit, json!(0), "{message}");
    assert!(screen.contains("bye from Tiny TUI"), "{screen:?}");
    assert_eq!(message["status"], "complete");
    viewer
        .until(|_, c| c.iter().any(|c| c["type"] == "exit" && c["code"] == 0))
        .await;

    // A prompt after the exit starts it again, in a new terminal; archiving the session ends it
    // with its processes.
    let message = turn(&server, &mut ws, &chat, "back").await;
    let (third, screen, _) = terminal_part(&message);
    assert_ne!(third, id);
    assert!(
        screen.contains("Answer 1: you asked \"back\""),
        "{screen:?}"
    );
    let (_, list) = server
        .get(&format!("/api/sessions/{session}/terminals"))
        .await;
    let live_ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .filter(|t| t["exit"].is_null())
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(live_ids(&list), [third]);
    let before = pgrep("scripted-tui.sh");
    assert!(!before.is_empty());
    let (status, _) = server
        .send(
            "PATCH",
            &format!("/api/sessions/{session}"),
            json!({ "archived": true }),
        )
        .await;
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    while before.iter().any(|p| alive(p)) {
        assert!(Instant::now() < deadline, "the TUI outlived its session");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Pids of processes whose command line mentions `needle`.
fn pgrep(needle: &str) -> Vec<String> {
    let out = std::process::Command::new("pgrep")
        .args(["-f", needle])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_shot_cli_ends_its_turn_with_its_exit_and_gets_no_boocode_settings() {
    let sandbox = Sandbox::new();
    let server = Server::start(
        &sandbox,
        Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into())
            .with_env("BOOCODE_CONFIG", pty_providers(&sandbox))
            .with_env("BOOCODE_AUTH_TOKEN", "must-not-leak-token"),
    )
    .await;
    let repo = sandbox.repo("oneshot");
    let (session, chat) = chat_with(&server, &repo, "oneshot").await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
    let message = turn(&server, &mut ws, &chat, "hello").await;
    let (_, screen, exit) = terminal_part(&message);
    assert!(screen.contains("got hello; secrets: 0"), "{screen:?}");
    assert_eq!(exit, json!(5));
    assert_eq!(
        message["status"], "failed",
        "a non-zero exit fails the turn"
    );
}
