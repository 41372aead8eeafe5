//! `boocode acp`, BooCode as an ACP agent, driven by real clients against the scripted model:
//! `acpx` (the npm ACP client, pinned in tests/peers) runs prompts, sees tool calls, answers
//! write permissions and cancels; BooCode's own `AcpBackend` drives it through the turn
//! grammar and resumes a session with `session/load`; raw JSON-RPC lines attack it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_agents::{AcpBackend, AgentBackend, AgentSession, SessionConfig};
use boocode_core::{
    AgentEvent, CancellationToken, CollectSink, PermissionDecision, TurnOutcome, check_turn,
};
use boocode_testkit::{Reply, ScriptedOpenAi, peer_bin};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::write(dir.path().join("work/seed.txt"), "hello seed\n").unwrap();
        Self { dir }
    }
    fn work(&self) -> PathBuf {
        self.dir.path().join("work").canonicalize().unwrap()
    }
    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
    fn database(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("acp.sqlite").display())
    }
    /// `boocode acp …` as one command line (acpx takes the agent as a string).
    fn agent_args(&self, url: &str) -> Vec<String> {
        vec![
            "acp".into(),
            "--model-url".into(),
            url.into(),
            "--model".into(),
            "m1".into(),
            "--offer-model".into(),
            "m2".into(),
            "--database".into(),
            self.database(),
        ]
    }
    fn env(&self) -> Vec<(&'static str, String)> {
        let home = self.home();
        vec![
            ("HOME", home.display().to_string()),
            ("XDG_CONFIG_HOME", home.join("config").display().to_string()),
            ("XDG_DATA_HOME", home.join("data").display().to_string()),
        ]
    }
}

fn boocode() -> &'static str {
    env!("CARGO_BIN_EXE_boocode")
}

/// `acpx --agent "boocode acp …" FLAGS… ARGS…` in the work directory.
fn acpx_command(sandbox: &Sandbox, url: &str, flags: &[&str], args: &[&str]) -> Command {
    let acpx = peer_bin("acpx").expect("acpx");
    let agent = std::iter::once(boocode().to_owned())
        .chain(sandbox.agent_args(url))
        .collect::<Vec<_>>()
        .join(" ");
    let mut cmd = Command::new(acpx);
    cmd.current_dir(sandbox.work())
        .arg("--agent")
        .arg(agent)
        .args(["--format", "json"])
        .args(flags)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in sandbox.env() {
        cmd.env(k, v);
    }
    cmd
}

/// Its JSON lines, and everything it printed (for failure messages).
async fn finished(child: tokio::process::Child) -> (Vec<Value>, String) {
    let out = tokio::time::timeout(Duration::from_secs(90), child.wait_with_output())
        .await
        .expect("acpx finished")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let lines = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (
        lines,
        format!("status {:?}\n{stdout}\n{stderr}", out.status),
    )
}

async fn acpx(sandbox: &Sandbox, url: &str, flags: &[&str], args: &[&str]) -> (Vec<Value>, String) {
    finished(acpx_command(sandbox, url, flags, args).spawn().unwrap()).await
}

fn updates<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|l| {
            l["method"] == "session/update" && l["params"]["update"]["sessionUpdate"] == kind
        })
        .map(|l| &l["params"]["update"])
        .collect()
}

fn stop_reason(lines: &[Value]) -> Option<String> {
    lines
        .iter()
        .find_map(|l| l["result"]["stopReason"].as_str().map(str::to_owned))
}

fn script_write(model: &ScriptedOpenAi, path: &str) {
    model.push(Reply::stream().reasoning("let me look").tool_call(
        "c1",
        "view_file",
        &[r#"{"path": "seed.txt"}"#],
    ));
    let args = json!({"path": path, "content": "made\n"}).to_string();
    model.push(Reply::stream().tool_call("c2", "create_file", &[&args]));
    model.push(Reply::text("Done."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acpx_prompts_boocode_sees_tool_calls_answers_write_permissions_and_cancels() {
    if peer_bin("acpx").is_none() {
        return;
    }
    let model = ScriptedOpenAi::start().await.unwrap();
    let sandbox = Sandbox::new();
    let url = model.url();

    // Allowed: the reasoning, both tool calls and the answer stream; the write is put to
    // the client with its diff and, allowed, lands on disk.
    script_write(&model, "made.txt");
    let (lines, log) = acpx(&sandbox, &url, &["--approve-all"], &["exec", "make a file"]).await;
    assert_eq!(stop_reason(&lines).as_deref(), Some("end_turn"), "{log}");
    assert_eq!(
        updates(&lines, "agent_thought_chunk")[0]["content"]["text"],
        "let me look",
        "{log}"
    );
    let calls = updates(&lines, "tool_call");
    assert_eq!(calls.len(), 2, "{log}");
    assert_eq!(calls[0]["kind"], "read");
    assert_eq!(calls[1]["title"], "create_file made.txt");
    let asked: Vec<&Value> = lines
        .iter()
        .filter(|l| l["method"] == "session/request_permission")
        .collect();
    assert_eq!(asked.len(), 1, "{log}");
    let diff = &asked[0]["params"]["toolCall"]["content"][0];
    assert_eq!(diff["type"], "diff");
    assert_eq!(diff["newText"], "made\n");
    assert_eq!(
        diff["path"].as_str().unwrap(),
        sandbox.work().join("made.txt").display().to_string()
    );
    let answer: String = updates(&lines, "agent_message_chunk")
        .iter()
        .filter_map(|u| u["content"]["text"].as_str())
        .collect();
    assert_eq!(answer, "Done.");
    assert_eq!(
        std::fs::read_to_string(sandbox.work().join("made.txt")).unwrap(),
        "made\n"
    );
    // The write's tool call ends completed once applied.
    let last_status = updates(&lines, "tool_call_update")
        .iter()
        .rev()
        .find(|u| u["toolCallId"] == "c2" && u["status"].is_string())
        .map(|u| u["status"].clone());
    assert_eq!(last_status, Some(json!("completed")), "{log}");

    // Denied: nothing is written, and the call says it failed.
    script_write(&model, "denied.txt");
    let (lines, log) = acpx(&sandbox, &url, &["--deny-all"], &["exec", "make another"]).await;
    assert_eq!(stop_reason(&lines).as_deref(), Some("end_turn"), "{log}");
    assert!(!sandbox.work().join("denied.txt").exists(), "{log}");
    let last_status = updates(&lines, "tool_call_update")
        .iter()
        .rev()
        .find(|u| u["toolCallId"] == "c2" && u["status"].is_string())
        .map(|u| u["status"].clone());
    assert_eq!(last_status, Some(json!("failed")), "{log}");

    // Cancelled: a slow answer, interrupted (Ctrl-C), which acpx turns into session/cancel.
    let mut slow = Reply::stream();
    for i in 0..60 {
        slow = slow
            .text(&format!("w{i} "))
            .delay(Duration::from_millis(100));
    }
    model.push(slow);
    let child = acpx_command(&sandbox, &url, &[], &["exec", "talk for a while"])
        .spawn()
        .unwrap();
    let asked = || {
        model
            .requests()
            .iter()
            .any(|r| r.body.to_string().contains("talk for a while"))
    };
    while !asked() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let pid = child.id().unwrap().to_string();
    let interrupted = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .await
        .unwrap();
    assert!(interrupted.success());
    let (lines, log) = finished(child).await;
    assert!(
        lines.iter().any(|l| l["method"] == "session/cancel"),
        "{log}"
    );
    assert_eq!(stop_reason(&lines).as_deref(), Some("cancelled"), "{log}");
    let said = updates(&lines, "agent_message_chunk").len();
    assert!(said > 0 && said < 60, "{said} chunks: {log}");
}

/// One turn through an `AgentSession`, the user allowing every prompt and (with `stop`)
/// stopping at the first text; its events must keep the turn grammar.
async fn turn(
    session: &mut dyn AgentSession,
    text: &str,
    stop: bool,
) -> (TurnOutcome, Vec<AgentEvent>) {
    let sink = CollectSink::new();
    let cancel = CancellationToken::new();
    let permissions = session.permissions();
    let user = async {
        let mut answered = Vec::new();
        loop {
            for event in sink.events() {
                match event {
                    AgentEvent::PermissionRequested { request_id, .. }
                        if !answered.contains(&request_id) =>
                    {
                        let _ = permissions.answer(&request_id, PermissionDecision::AllowOnce);
                        answered.push(request_id);
                    }
                    AgentEvent::TextDelta { .. } if stop => cancel.cancel(),
                    _ => {}
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let outcome = tokio::time::timeout(Duration::from_secs(60), async {
        tokio::select! {
            outcome = session.prompt(text, &sink, &cancel) => outcome,
            () = user => unreachable!(),
        }
    })
    .await
    .expect("the turn ended")
    .expect("the turn ran");
    let events = sink.events();
    check_turn(&events).unwrap_or_else(|e| panic!("{e}: {events:#?}"));
    (outcome, events)
}

fn backend(sandbox: &Sandbox, url: &str) -> AcpBackend {
    let mut backend = AcpBackend::new(boocode(), sandbox.agent_args(url))
        .handshake_timeout(Duration::from_secs(30));
    for (k, v) in sandbox.env() {
        backend = backend.env(k, v);
    }
    backend
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boocodes_acp_backend_drives_boocode_acp_through_the_turn_grammar_and_resumes_it() {
    let model = ScriptedOpenAi::start().await.unwrap();
    let sandbox = Sandbox::new();
    let backend = backend(&sandbox, &model.url());
    let config = |resume: Option<String>| {
        let mut config = SessionConfig::new(sandbox.work());
        config.resume = resume;
        config
    };
    let mut session = backend.start(config(None)).await.unwrap();

    model.push(Reply::text("Hello."));
    let (outcome, _) = turn(session.as_mut(), "say hello", false).await;
    assert_eq!(outcome, TurnOutcome::Completed);
    let session_id = session
        .backend_session_id()
        .expect("the agent's session id");

    // A write in review mode: asked, allowed, applied.
    script_write(&model, "made.txt");
    let (outcome, events) = turn(session.as_mut(), "make the file", false).await;
    assert_eq!(outcome, TurnOutcome::Completed);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AgentEvent::PermissionRequested { .. })),
        "{events:#?}"
    );
    assert_eq!(
        std::fs::read_to_string(sandbox.work().join("made.txt")).unwrap(),
        "made\n"
    );

    // Stopped mid-stream.
    let mut slow = Reply::stream();
    for i in 0..40 {
        slow = slow
            .text(&format!("w{i} "))
            .delay(Duration::from_millis(100));
    }
    model.push(slow);
    let (outcome, _) = turn(session.as_mut(), "talk for a while", true).await;
    assert_eq!(outcome, TurnOutcome::Cancelled);
    session.close().await;

    // A new process loads the session: the model sees the earlier turns.
    let mut resumed = backend.start(config(Some(session_id))).await.unwrap();
    model.push(Reply::text("I remember."));
    let (outcome, _) = turn(resumed.as_mut(), "what did you make?", false).await;
    assert_eq!(outcome, TurnOutcome::Completed);
    let last = model.requests().last().cloned().unwrap();
    let sent = last.body.to_string();
    assert!(
        sent.contains("say hello") && sent.contains("make the file"),
        "{sent}"
    );
    resumed.close().await;
}

/// A raw JSON-RPC conversation with `boocode acp` over its stdio.
struct Raw {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Raw {
    async fn start(sandbox: &Sandbox, url: &str) -> Self {
        let mut cmd = Command::new(boocode());
        cmd.args(sandbox.agent_args(url))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        for (k, v) in sandbox.env() {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Self {
            child,
            stdin,
            lines,
        }
    }

    async fn send(&mut self, line: &str) {
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        self.stdin.write_all(b"\n").await.unwrap();
    }

    /// The response to request `id` (notifications before it are skipped).
    async fn answer(&mut self, id: i64) -> Value {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(20), self.lines.next_line())
                .await
                .expect("an answer")
                .unwrap()
                .expect("the agent is still there");
            let value: Value = serde_json::from_str(&line).unwrap();
            if value["id"] == id || (value["id"].is_null() && value.get("error").is_some()) {
                return value;
            }
        }
    }

    async fn call(&mut self, id: i64, method: &str, params: Value) -> Value {
        let line = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send(&line.to_string()).await;
        self.answer(id).await
    }
}

fn error_message(answer: &Value) -> String {
    answer["error"]["message"].as_str().unwrap_or("").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_sessions_and_prompts_get_clear_errors_and_the_connection_lives_on() {
    let model = ScriptedOpenAi::start().await.unwrap();
    let sandbox = Sandbox::new();
    let mut raw = Raw::start(&sandbox, &model.url()).await;
    let init = raw
        .call(
            0,
            "initialize",
            json!({"protocolVersion": 1, "clientCapabilities": {}}),
        )
        .await;
    assert_eq!(init["result"]["agentCapabilities"]["loadSession"], true);

    // Malformed JSON is answered with a parse error; the connection goes on.
    raw.send("{not json").await;
    let parse = raw.answer(-1).await;
    assert!(parse.get("error").is_some(), "{parse}");

    let relative = raw
        .call(1, "session/new", json!({"cwd": "work", "mcpServers": []}))
        .await;
    assert!(error_message(&relative).contains("absolute"), "{relative}");
    let missing = raw
        .call(
            2,
            "session/new",
            json!({"cwd": "/nonexistent/boocode-acp", "mcpServers": []}),
        )
        .await;
    assert!(error_message(&missing).contains("not usable"), "{missing}");

    let work = sandbox.work();
    let created = raw
        .call(3, "session/new", json!({"cwd": work, "mcpServers": []}))
        .await;
    let session = created["result"]["sessionId"].as_str().unwrap().to_owned();
    assert_eq!(created["result"]["modes"]["currentModeId"], "review");
    let options = &created["result"]["configOptions"][0];
    assert_eq!(options["category"], "model");
    assert_eq!(options["currentValue"], "m1");

    // Loading the session from another directory is refused.
    let elsewhere = sandbox.dir.path().join("other");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let load = raw
        .call(
            4,
            "session/load",
            json!({"sessionId": session, "cwd": elsewhere, "mcpServers": []}),
        )
        .await;
    assert!(error_message(&load).contains("belongs to"), "{load}");

    // A session this connection never opened, and one that is no session id at all.
    let unknown = raw
        .call(
            5,
            "session/prompt",
            json!({"sessionId": uuid_like(), "prompt": [{"type": "text", "text": "hi"}]}),
        )
        .await;
    assert!(error_message(&unknown).contains("not open"), "{unknown}");
    let garbage = raw
        .call(
            6,
            "session/prompt",
            json!({"sessionId": "../../etc", "prompt": [{"type": "text", "text": "hi"}]}),
        )
        .await;
    assert!(
        error_message(&garbage).contains("not a BooCode session"),
        "{garbage}"
    );

    // Oversized, empty and image prompts.
    let huge = "x".repeat(1024 * 1024 + 1);
    let big = raw
        .call(
            7,
            "session/prompt",
            json!({"sessionId": session, "prompt": [{"type": "text", "text": huge}]}),
        )
        .await;
    assert!(
        error_message(&big).contains("at most"),
        "{}",
        error_message(&big)
    );
    let empty = raw
        .call(
            8,
            "session/prompt",
            json!({"sessionId": session, "prompt": [{"type": "text", "text": "  "}]}),
        )
        .await;
    assert!(error_message(&empty).contains("empty"), "{empty}");
    let image = raw
        .call(9, "session/prompt", json!({"sessionId": session, "prompt": [{"type": "image", "data": "AA==", "mimeType": "image/png"}]}))
        .await;
    assert!(error_message(&image).contains("takes text"), "{image}");

    // Modes and models: unknown ones refused, known ones taken.
    let bad_mode = raw
        .call(
            10,
            "session/set_mode",
            json!({"sessionId": session, "modeId": "yolo"}),
        )
        .await;
    assert!(error_message(&bad_mode).contains("no mode"), "{bad_mode}");
    let mode = raw
        .call(
            11,
            "session/set_mode",
            json!({"sessionId": session, "modeId": "ask"}),
        )
        .await;
    assert!(mode.get("result").is_some(), "{mode}");
    let set = raw
        .call(
            12,
            "session/set_config_option",
            json!({"sessionId": session, "configId": "model", "value": "m2"}),
        )
        .await;
    assert_eq!(
        set["result"]["configOptions"][0]["currentValue"], "m2",
        "{set}"
    );
    let bad_option = raw
        .call(
            13,
            "session/set_config_option",
            json!({"sessionId": session, "configId": "temperature", "value": "hot"}),
        )
        .await;
    assert!(
        error_message(&bad_option).contains("no config option"),
        "{bad_option}"
    );

    // After all that, a prompt runs on the chosen model.
    model.push(Reply::text("Still here."));
    let done = raw
        .call(
            14,
            "session/prompt",
            json!({"sessionId": session, "prompt": [{"type": "text", "text": "hi"}]}),
        )
        .await;
    assert_eq!(done["result"]["stopReason"], "end_turn", "{done}");
    let last = model.requests().last().cloned().unwrap().body;
    assert_eq!(last["model"], "m2");
    // In ask mode the write tools are not offered.
    assert!(!last.to_string().contains("create_file"), "{last}");
    drop(raw.stdin);
    let status = tokio::time::timeout(Duration::from_secs(10), raw.child.wait())
        .await
        .expect("boocode acp exits when its client closes stdin")
        .unwrap();
    assert!(status.success(), "{status}");
}

fn uuid_like() -> String {
    "0b9e7a52-3a63-4f43-9f6a-5f2d1c0e8b11".to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcp_servers_the_client_names_become_tool_sources_the_model_can_call() {
    let Some(everything) = peer_bin("mcp-server-everything") else {
        return;
    };
    let model = ScriptedOpenAi::start().await.unwrap();
    let sandbox = Sandbox::new();
    let mut raw = Raw::start(&sandbox, &model.url()).await;
    raw.call(
        0,
        "initialize",
        json!({"protocolVersion": 1, "clientCapabilities": {}}),
    )
    .await;
    let created = raw
        .call(
            1,
            "session/new",
            json!({"cwd": sandbox.work(), "mcpServers": [
                {"name": "everything", "command": everything, "args": [], "env": []}
            ]}),
        )
        .await;
    let session = created["result"]["sessionId"].as_str().unwrap().to_owned();
    // The server starts in the background; its tools are offered from the turn after it is
    // ready. Ask until the model is offered its echo tool (bounded).
    let mut id = 2;
    let offered = |model: &ScriptedOpenAi| {
        model
            .requests()
            .last()
            .is_some_and(|r| r.body.to_string().contains("everything__echo"))
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        model.push(Reply::text("Not yet."));
        let done = raw
            .call(
                id,
                "session/prompt",
                json!({"sessionId": session, "prompt": [{"type": "text", "text": "ping"}]}),
            )
            .await;
        assert_eq!(done["result"]["stopReason"], "end_turn", "{done}");
        id += 1;
        if offered(&model) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the client's MCP server never became a tool source"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The model calls it; the result comes back as the tool call's update.
    model.push(Reply::stream().tool_call(
        "m1",
        "everything__echo",
        &[r#"{"message": "over acp"}"#],
    ));
    model.push(Reply::text("Echoed."));
    let line = json!({"jsonrpc": "2.0", "id": id, "method": "session/prompt",
        "params": {"sessionId": session, "prompt": [{"type": "text", "text": "echo it"}]}});
    raw.send(&line.to_string()).await;
    let mut result = None;
    loop {
        let line = tokio::time::timeout(Duration::from_secs(20), raw.lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let value: Value = serde_json::from_str(&line).unwrap();
        let update = &value["params"]["update"];
        if update["sessionUpdate"] == "tool_call_update" && update["toolCallId"] == "m1" {
            result = Some(update.clone());
        }
        if value["id"] == id {
            assert_eq!(value["result"]["stopReason"], "end_turn", "{value}");
            break;
        }
    }
    let result = result.expect("the MCP call's result");
    assert_eq!(result["status"], "completed", "{result}");
    assert!(result.to_string().contains("over acp"), "{result}");
}
