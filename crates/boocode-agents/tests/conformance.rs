//! The event contract, run against every backend: the same scenarios — a text answer, a tool
//! call (with a permission prompt where the backend asks), a turn stopped mid-stream — through
//! BooCode's own loop (scripted OpenAI-compatible model), the Claude SDK (the real `claude`),
//! ACP (the real claude-agent-acp and opencode) and a PTY, each turn checked against the turn
//! grammar (`boocode_core::check_turn`) and against its own outcome. A backend that breaks the
//! order fails it: a wrapper that moves one event is caught.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_agents::{
    AcpBackend, AgentBackend, AgentError, AgentSession, ClaudeSdkBackend, NativeBackend,
    Permissions, PtyBackend, SessionConfig,
};
use boocode_core::{
    AgentEvent, CancellationToken, CollectSink, EventSink, PermissionDecision, TurnConfig,
    TurnOutcome, check_turn,
};
use boocode_inference::{OpenAiClient, OpenAiConfig};
use boocode_testkit::{AnthropicReply, Reply, ScriptedAnthropic, ScriptedOpenAi, peer_bin};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The scripted model a backend talks to.
enum Model {
    OpenAi(ScriptedOpenAi),
    Anthropic(ScriptedAnthropic),
    /// A PTY runs a program, not a model.
    None,
}

/// One backend under test, with its model and project directory.
struct Fixture {
    name: &'static str,
    model: Model,
    _dir: tempfile::TempDir,
    work: PathBuf,
    backend: Box<dyn AgentBackend>,
}

impl Fixture {
    async fn start(&self) -> Box<dyn AgentSession> {
        let mut config = SessionConfig::new(self.work.clone());
        if matches!(self.model, Model::Anthropic(_)) {
            config = config.model("claude-sonnet-4-5");
        }
        self.backend
            .start(config)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }

    /// Scripts a plain answer.
    fn script_text(&self, text: &str) {
        match &self.model {
            Model::OpenAi(m) => {
                m.push(Reply::text(text));
            }
            Model::Anthropic(m) => {
                m.push(AnthropicReply::new().text(&[text]));
            }
            Model::None => {}
        }
    }

    /// Scripts one tool call (a file write for the agents, which they ask about; a read for
    /// BooCode's own loop, which asks nothing in review) and the answer after it.
    fn script_tool(&self) {
        let target = self.work.join("made.txt");
        match &self.model {
            Model::OpenAi(m) if self.name == "native" => {
                m.push(Reply::stream().tool_call(
                    "call_r1",
                    "view_file",
                    &["{\"path\": \"seed.txt\"}"],
                ));
                m.push(Reply::text("Read it."));
            }
            Model::OpenAi(m) => {
                // opencode's write tool, or qwen-code's.
                let (tool, args) = if self.name == "qwen" {
                    (
                        "write_file",
                        serde_json::json!({"file_path": target, "content": "made\n"}),
                    )
                } else {
                    (
                        "write",
                        serde_json::json!({"filePath": target, "content": "made\n"}),
                    )
                };
                m.push(
                    Reply::stream()
                        .whole_tool_call("call_w1", tool, &args.to_string())
                        .finish("tool_calls"),
                );
                m.push(Reply::text("Wrote it."));
            }
            Model::Anthropic(m) => {
                let input = serde_json::json!({"file_path": target, "content": "made\n"});
                m.push(AnthropicReply::new().tool_use("toolu_w1", "Write", &[&input.to_string()]));
                m.push(AnthropicReply::new().text(&["Wrote it."]));
            }
            Model::None => {}
        }
    }

    /// Scripts an answer that streams slowly, to be stopped.
    fn script_slow(&self) {
        let pieces: Vec<String> = (0..40).map(|i| format!("w{i} ")).collect();
        let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
        match &self.model {
            Model::OpenAi(m) => {
                let mut reply = Reply::stream();
                for piece in &refs {
                    reply = reply.text(piece);
                }
                m.push(reply.delay(Duration::from_millis(100)));
            }
            Model::Anthropic(m) => {
                m.push(
                    AnthropicReply::new()
                        .text(&refs)
                        .delay(Duration::from_millis(100)),
                );
            }
            Model::None => {}
        }
    }
}

/// BooCode's own loop with the read tools over the project.
async fn native() -> Fixture {
    let model = ScriptedOpenAi::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("seed.txt"), "seed\n").unwrap();
    let env = Arc::new(boocode_tools::ToolEnv::new(
        boocode_tools::PathGuard::new(&work).unwrap(),
    ));
    let (tools, _) = boocode_tools::read_tools(env, boocode_tools::Tier::Core, None);
    let client = OpenAiClient::new(OpenAiConfig::new(model.url())).unwrap();
    let backend = NativeBackend::new(Arc::new(client), tools, TurnConfig::default());
    Fixture {
        name: "native",
        model: Model::OpenAi(model),
        _dir: dir,
        work,
        backend: Box::new(backend),
    }
}

fn claude_env(dir: &Path, server: &ScriptedAnthropic) -> Vec<(&'static str, String)> {
    let config = dir.join("claude-config");
    std::fs::create_dir_all(&config).unwrap();
    vec![
        ("ANTHROPIC_BASE_URL", server.url()),
        ("ANTHROPIC_API_KEY", "sk-test".into()),
        ("CLAUDE_CONFIG_DIR", config.display().to_string()),
        ("HOME", dir.display().to_string()),
        ("DISABLE_TELEMETRY", "1".into()),
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".into()),
    ]
}

/// The real `claude` CLI over its stream-json protocol.
async fn claude_sdk() -> Option<Fixture> {
    let claude = peer_bin("claude")?;
    let model = ScriptedAnthropic::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let mut backend = ClaudeSdkBackend::new(claude);
    for (k, v) in claude_env(dir.path(), &model) {
        backend = backend.env(k, v);
    }
    Some(Fixture {
        name: "claude-sdk",
        model: Model::Anthropic(model),
        _dir: dir,
        work,
        backend: Box::new(backend),
    })
}

/// Zed's claude-agent-acp over the real `claude`.
async fn claude_acp() -> Option<Fixture> {
    let claude = peer_bin("claude")?;
    let adapter = peer_bin("claude-agent-acp")?;
    let model = ScriptedAnthropic::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let mut backend = AcpBackend::new(adapter, vec![])
        .env("CLAUDE_CODE_EXECUTABLE", claude.display().to_string())
        .env("IS_SANDBOX", "1")
        .handshake_timeout(Duration::from_secs(60));
    for (k, v) in claude_env(dir.path(), &model) {
        backend = backend.env(k, v);
    }
    Some(Fixture {
        name: "claude-acp",
        model: Model::Anthropic(model),
        _dir: dir,
        work,
        backend: Box::new(backend),
    })
}

/// opencode's ACP mode against the scripted OpenAI-compatible model.
async fn opencode() -> Option<Fixture> {
    let opencode = peer_bin("opencode")?;
    let model = ScriptedOpenAi::start().await.unwrap();
    model.answer_matching("You are a title generator", Reply::text("Scripted title"));
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    let config = boocode_testkit::opencode_config(&model.url());
    std::fs::write(work.join("opencode.json"), config.to_string()).unwrap();
    let backend = AcpBackend::new(opencode, vec!["acp".into()])
        .env("HOME", home.display().to_string())
        .env(
            "XDG_CONFIG_HOME",
            home.join(".config").display().to_string(),
        )
        .env(
            "XDG_DATA_HOME",
            home.join(".local/share").display().to_string(),
        )
        .env("XDG_CACHE_HOME", home.join(".cache").display().to_string())
        .env("OPENCODE_DISABLE_AUTOUPDATE", "1")
        .handshake_timeout(Duration::from_secs(60));
    Some(Fixture {
        name: "opencode",
        model: Model::OpenAi(model),
        _dir: dir,
        work,
        backend: Box::new(backend),
    })
}

/// qwen-code's ACP mode against the scripted OpenAI-compatible model.
async fn qwen() -> Option<Fixture> {
    let qwen = peer_bin("qwen")?;
    let model = ScriptedOpenAi::start().await.unwrap();
    // After a turn qwen-code asks the model on its own account — a memory-extraction subagent,
    // a guess at the user's next message — whenever its timers fire; answer those apart, so
    // they never take the scripted replies of the turns.
    model.answer_matching(
        "managed memory extraction subagent",
        Reply::text("Nothing to remember."),
    );
    model.answer_matching("[SUGGESTION MODE", Reply::text(""));
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    let backend = AcpBackend::new(
        qwen,
        vec![
            "--acp".into(),
            "--auth-type".into(),
            "openai".into(),
            "--openai-base-url".into(),
            format!("{}/v1", model.url()),
            "--openai-api-key".into(),
            "sk-test".into(),
            "--model".into(),
            "scripted".into(),
        ],
    )
    .env("HOME", home.display().to_string())
    .env("QWEN_CODE_DISABLE_TELEMETRY", "1")
    .handshake_timeout(Duration::from_secs(60));
    Some(Fixture {
        name: "qwen",
        model: Model::OpenAi(model),
        _dir: dir,
        work,
        backend: Box::new(backend),
    })
}

/// A line-oriented program in a PTY: it echoes each prompt; `slow` makes it print then hang.
fn pty(program: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().to_path_buf();
    Fixture {
        name: "pty",
        model: Model::None,
        _dir: dir,
        work,
        backend: Box::new(
            PtyBackend::new("bash", vec!["-c".into(), program.into()])
                .idle_after(Duration::from_millis(400)),
        ),
    }
}

/// Runs one prompt; answers the first permission prompt with `allow_once`; stops the turn at
/// its first text when `stop`. Checks the events against the grammar and the outcome.
async fn turn(
    fixture: &Fixture,
    session: &mut dyn AgentSession,
    text: &str,
    stop: bool,
) -> Result<(TurnOutcome, Vec<AgentEvent>), String> {
    let sink = CollectSink::new();
    let cancel = CancellationToken::new();
    let permissions = session.permissions();
    let outcome = tokio::time::timeout(Duration::from_secs(120), async {
        let prompt = session.prompt(text, &sink, &cancel);
        let user = act(&sink, &permissions, &cancel, stop);
        tokio::select! {
            outcome = prompt => outcome,
            () = user => unreachable!("the user acts until the turn ends"),
        }
    })
    .await
    .map_err(|_| format!("{}: the turn did not end within 120 s", fixture.name))?
    .map_err(|e: AgentError| format!("{}: {e}", fixture.name))?;
    let events = sink.events();
    conforms(&events, outcome).map_err(|e| format!("{}: {e}\n{events:#?}", fixture.name))?;
    Ok((outcome, events))
}

/// The user: allows every prompt, and (with `stop`) stops the turn at its first output.
async fn act(
    sink: &CollectSink,
    permissions: &Permissions,
    cancel: &CancellationToken,
    stop: bool,
) {
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
                AgentEvent::TextDelta { .. }
                | AgentEvent::TerminalOutput { .. }
                | AgentEvent::TerminalScreen { .. }
                    if stop =>
                {
                    cancel.cancel();
                }
                _ => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The grammar, and the turn's own report agreeing with the outcome the call returned.
fn conforms(events: &[AgentEvent], outcome: TurnOutcome) -> Result<(), String> {
    check_turn(events).map_err(|e| e.to_string())?;
    match events.last() {
        Some(AgentEvent::TurnFinished { outcome: told, .. }) if *told == outcome => Ok(()),
        other => Err(format!("returned {outcome:?} but finished with {other:?}")),
    }
}

/// The three scenarios on one backend.
async fn suite(fixture: &Fixture) -> Result<(), String> {
    let mut session = fixture.start().await;
    fixture.script_text("Hello.");
    let (outcome, events) = turn(fixture, session.as_mut(), "say hello", false).await?;
    if outcome != TurnOutcome::Completed {
        return Err(format!(
            "{}: a text turn ended {outcome:?}: {events:#?}",
            fixture.name
        ));
    }
    fixture.script_tool();
    let (outcome, events) = turn(fixture, session.as_mut(), "make the file", false).await?;
    let tool_calls = events
        .iter()
        .filter(|e| matches!(e, AgentEvent::ToolCallFinished { .. }))
        .count();
    if outcome != TurnOutcome::Completed || tool_calls == 0 {
        return Err(format!(
            "{}: the tool turn: {outcome:?}, {events:#?}",
            fixture.name
        ));
    }
    fixture.script_slow();
    let (outcome, _) = turn(fixture, session.as_mut(), "talk for a while", true).await?;
    if outcome != TurnOutcome::Cancelled {
        return Err(format!(
            "{}: a stopped turn ended {outcome:?}",
            fixture.name
        ));
    }
    session.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_native_loop_keeps_the_turn_grammar() {
    suite(&native().await).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_claude_sdk_backend_keeps_the_turn_grammar() {
    let Some(fixture) = claude_sdk().await else {
        return;
    };
    suite(&fixture).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_agent_acp_keeps_the_turn_grammar() {
    let Some(fixture) = claude_acp().await else {
        return;
    };
    suite(&fixture).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opencode_over_acp_keeps_the_turn_grammar() {
    let Some(fixture) = opencode().await else {
        return;
    };
    suite(&fixture).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qwen_code_over_acp_keeps_the_turn_grammar() {
    let Some(fixture) = qwen().await else {
        return;
    };
    suite(&fixture).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pty_keeps_the_turn_grammar_and_ends_its_terminal() {
    // An interactive program: each prompt is echoed.
    let echo = pty("while read q; do echo \"you said $q\"; done");
    let mut session = echo.start().await;
    for word in ["ping", "pong"] {
        let (outcome, events) = turn(&echo, session.as_mut(), word, false).await.unwrap();
        assert_eq!(outcome, TurnOutcome::Completed);
        // A terminal writes no message: no made-up message id.
        assert_eq!(events[0], AgentEvent::TurnStarted { message_id: None });
        assert!(format!("{events:?}").contains(&format!("you said {word}")));
    }
    session.close().await;
    // A program that exits: its terminal ends with terminal_exited, inside the turn.
    let once = pty("read q; echo \"bye $q\"; exit 3");
    let mut session = once.start().await;
    let (outcome, events) = turn(&once, session.as_mut(), "now", false).await.unwrap();
    assert_eq!(outcome, TurnOutcome::Error, "a non-zero exit");
    assert!(
        events.iter().any(|e| matches!(
            e,
            AgentEvent::TerminalExited {
                exit_code: Some(3),
                ..
            }
        )),
        "{events:?}"
    );
    // Stopped mid-output.
    let slow = pty("read q; while true; do echo tick; sleep 0.1; done");
    let mut session = slow.start().await;
    let (outcome, _) = turn(&slow, session.as_mut(), "go", true).await.unwrap();
    assert_eq!(outcome, TurnOutcome::Cancelled);
    session.close().await;
}

/// A backend whose sink holds the first text back until after the turn finished: out of order.
struct Reordering(NativeBackend);

struct ReorderingSession(Box<dyn AgentSession>);

struct HoldFirstText<'a> {
    inner: &'a dyn EventSink,
    held: std::sync::Mutex<Option<AgentEvent>>,
    seen_text: std::sync::atomic::AtomicBool,
}

impl EventSink for HoldFirstText<'_> {
    fn emit(&self, event: AgentEvent) {
        let first_text = matches!(event, AgentEvent::TextDelta { .. })
            && !self
                .seen_text
                .swap(true, std::sync::atomic::Ordering::SeqCst);
        if first_text {
            *self.held.lock().unwrap() = Some(event);
            return;
        }
        let finished = matches!(event, AgentEvent::TurnFinished { .. });
        self.inner.emit(event);
        if finished && let Some(late) = self.held.lock().unwrap().take() {
            self.inner.emit(late);
        }
    }
}

#[async_trait::async_trait]
impl AgentBackend for Reordering {
    fn kind(&self) -> boocode_agents::BackendKind {
        self.0.kind()
    }

    async fn start(&self, config: SessionConfig) -> Result<Box<dyn AgentSession>, AgentError> {
        Ok(Box::new(ReorderingSession(self.0.start(config).await?)))
    }
}

#[async_trait::async_trait]
impl AgentSession for ReorderingSession {
    async fn prompt(
        &mut self,
        text: &str,
        sink: &dyn EventSink,
        cancel: &CancellationToken,
    ) -> Result<TurnOutcome, AgentError> {
        let holding = HoldFirstText {
            inner: sink,
            held: std::sync::Mutex::new(None),
            seen_text: std::sync::atomic::AtomicBool::new(false),
        };
        self.0.prompt(text, &holding, cancel).await
    }

    fn permissions(&self) -> Arc<Permissions> {
        self.0.permissions()
    }

    fn backend_session_id(&self) -> Option<String> {
        self.0.backend_session_id()
    }

    async fn close(&mut self) {
        self.0.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_reorders_one_event_fails_the_suite() {
    let mut fixture = native().await;
    let Model::OpenAi(model) = &fixture.model else {
        unreachable!()
    };
    let client = OpenAiClient::new(OpenAiConfig::new(model.url())).unwrap();
    fixture.backend = Box::new(Reordering(NativeBackend::new(
        Arc::new(client),
        boocode_core::ToolSet::new(),
        TurnConfig::default(),
    )));
    let err = suite(&fixture).await.unwrap_err();
    assert!(err.contains("nothing follows turn_finished"), "{err}");
}
