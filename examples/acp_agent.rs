//! Recipe: drive Claude Code or any Agent Client Protocol agent — opencode, claude-agent-acp,
//! goose, `boocode acp` — from Rust, answering its permission prompts with your own policy. The
//! agent runs as a child process in the project directory; BooCode is the client: it streams
//! the turn as `AgentEvent`s (the same events whichever protocol the agent speaks) and, over
//! ACP, serves the agent's `fs/*` through the path and secret guards.
//!
//! ```text
//! cargo run -p boocode-examples --example acp_agent -- /path/to/project "Add a NOTES.md" opencode acp
//! cargo run -p boocode-examples --example acp_agent -- /path/to/project "Add a NOTES.md" claude
//! ```
//!
//! In your own crate:
//!
//! ```toml
//! [dependencies]
//! boocode-agents = "0.1"
//! boocode-core = "0.1"
//! tokio = { version = "1", features = ["rt-multi-thread", "macros", "sync"] }
//!
//! [dev-dependencies]
//! boocode-testkit = "0.1"
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use boocode_agents::{AcpBackend, AgentBackend, ClaudeSdkBackend, SessionConfig};
use boocode_core::{AgentEvent, CancellationToken, FnSink, PermissionDecision, TurnOutcome};
use std::path::{Path, PathBuf};

/// Your policy, asked for every permission prompt: here, writes are allowed only under the
/// project's `notes/` folder; everything else the agent asks about is refused.
fn decide(project: &Path, tool: &str, summary: &str) -> PermissionDecision {
    let notes = project.join("notes");
    if summary.contains(&*notes.to_string_lossy()) || summary.contains("notes/") {
        PermissionDecision::AllowOnce
    } else {
        eprintln!("refused {tool}: {summary}");
        PermissionDecision::Deny
    }
}

/// What one prompt did: how it ended, the answer, and each prompt with the decision taken.
#[derive(Debug)]
struct Run {
    outcome: TurnOutcome,
    answer: String,
    asked: Vec<(String, PermissionDecision)>,
}

/// Claude Code (`program`, over its stream-json protocol) with extra `env`.
fn claude_code(program: &str, env: &[(String, String)]) -> Box<dyn AgentBackend> {
    let mut backend = ClaudeSdkBackend::new(program);
    for (k, v) in env {
        backend = backend.env(k, v);
    }
    Box::new(backend)
}

/// Any ACP agent: `program` with `args` and extra `env`.
fn acp(program: &str, args: &[String], env: &[(String, String)]) -> Box<dyn AgentBackend> {
    let mut backend = AcpBackend::new(program, args.to_vec());
    for (k, v) in env {
        backend = backend.env(k, v);
    }
    Box::new(backend)
}

/// Starts `backend` in `project`, runs `prompt`, answers its permission prompts with
/// [`decide`], and closes it.
async fn drive(
    project: &Path,
    backend: &dyn AgentBackend,
    prompt: &str,
) -> Result<Run, Box<dyn std::error::Error>> {
    let config = SessionConfig::new(project);
    let mut session = backend.start(config).await?;
    // The sink must not block: it hands events to a task that prints and answers them.
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let sink = FnSink(move |event: AgentEvent| {
        let _ = events_tx.send(event);
    });
    let permissions = session.permissions();
    let root = project.to_path_buf();
    let user = tokio::spawn(async move {
        let (mut answer, mut asked) = (String::new(), Vec::new());
        while let Some(event) = events.recv().await {
            match event {
                AgentEvent::TextDelta { text } => answer.push_str(&text),
                AgentEvent::ToolCallReady { name, .. } => eprintln!("[tool] {name}"),
                AgentEvent::PermissionRequested {
                    request_id,
                    tool,
                    summary,
                    ..
                } => {
                    let decision = decide(&root, &tool, &summary);
                    if let Err(e) = permissions.answer(&request_id, decision) {
                        eprintln!("could not answer {request_id}: {e}");
                    }
                    asked.push((summary, decision));
                }
                _ => {}
            }
        }
        (answer, asked)
    });
    let outcome = session
        .prompt(prompt, &sink, &CancellationToken::new())
        .await;
    session.close().await;
    // Dropping the sink ends the event stream, and with it the answering task.
    drop(sink);
    let (answer, asked) = user.await?;
    Ok(Run {
        outcome: outcome?,
        answer,
        asked,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let project = PathBuf::from(args.next().unwrap_or_else(|| ".".into())).canonicalize()?;
    let prompt = args.next().unwrap_or_else(|| "Add notes/TODO.md".into());
    let program = args.next().unwrap_or_else(|| "opencode".into());
    let mut rest: Vec<String> = args.collect();
    if rest.is_empty() && program == "opencode" {
        rest.push("acp".into());
    }
    let backend = if Path::new(&program)
        .file_stem()
        .is_some_and(|n| n == "claude")
    {
        claude_code(&program, &[])
    } else {
        acp(&program, &rest, &[])
    };
    let run = drive(&project, backend.as_ref(), &prompt).await?;
    println!(
        "{}\n-- {} ({} prompt(s) answered)",
        run.answer,
        run.outcome.as_str(),
        run.asked.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use boocode_testkit::{
        AnthropicReply, Reply, ScriptedAnthropic, ScriptedOpenAi, opencode_config, peer_bin,
    };

    /// opencode (the real one, pinned in tests/peers) against the scripted model, with a home of
    /// its own so nothing of the machine's is read.
    async fn opencode_in(dir: &Path, model: &ScriptedOpenAi) -> Vec<(String, String)> {
        let home = dir.join("home");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(
            dir.join("work/opencode.json"),
            opencode_config(&model.url()).to_string(),
        )
        .unwrap();
        model.answer_matching("You are a title generator", Reply::text("Scripted title"));
        let h = |p: &str| home.join(p).display().to_string();
        vec![
            ("HOME".into(), h("")),
            ("XDG_CONFIG_HOME".into(), h(".config")),
            ("XDG_DATA_HOME".into(), h(".local/share")),
            ("XDG_CACHE_HOME".into(), h(".cache")),
            ("OPENCODE_DISABLE_AUTOUPDATE".into(), "1".into()),
        ]
    }

    fn script_write(model: &ScriptedOpenAi, target: &Path, call: &str) {
        let args = serde_json::json!({"filePath": target, "content": "written\n"});
        model.push(
            Reply::stream()
                .whole_tool_call(call, "write", &args.to_string())
                .finish("tool_calls"),
        );
        model.push(Reply::text("Done."));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_policy_allows_writes_under_notes_and_refuses_the_rest() {
        let Some(opencode) = peer_bin("opencode") else {
            return;
        };
        let model = ScriptedOpenAi::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        std::fs::create_dir_all(work.join("notes")).unwrap();
        let work = work.canonicalize().unwrap();
        let env = opencode_in(dir.path(), &model).await;
        let program = opencode.display().to_string();

        let allowed = work.join("notes/TODO.md");
        script_write(&model, &allowed, "call_w1");
        let backend = acp(&program, &["acp".into()], &env);
        let run = drive(&work, backend.as_ref(), "add the notes")
            .await
            .unwrap();
        assert_eq!(run.outcome, TurnOutcome::Completed, "{run:?}");
        assert_eq!(run.asked.len(), 1, "{run:?}");
        assert_eq!(run.asked[0].1, PermissionDecision::AllowOnce, "{run:?}");
        assert_eq!(std::fs::read_to_string(&allowed).unwrap(), "written\n");

        let refused = work.join("Cargo.toml");
        script_write(&model, &refused, "call_w2");
        let run = drive(&work, backend.as_ref(), "touch the manifest")
            .await
            .unwrap();
        assert_eq!(run.asked.len(), 1, "{run:?}");
        assert_eq!(run.asked[0].1, PermissionDecision::Deny, "{run:?}");
        assert!(!refused.exists(), "a refused write must not land");
    }

    /// Claude Code's Write of `target`, then its closing words.
    fn script_claude_write(model: &ScriptedAnthropic, target: &Path, call: &str) {
        let input = serde_json::json!({"file_path": target, "content": "written\n"});
        model.push(AnthropicReply::new().text(&["Writing."]).tool_use(
            call,
            "Write",
            &["", &input.to_string()],
        ));
        model.push(AnthropicReply::new().text(&["Done."]));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_same_policy_answers_claude_code_over_its_own_protocol() {
        let Some(claude) = peer_bin("claude") else {
            return;
        };
        let model = ScriptedAnthropic::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        std::fs::create_dir_all(work.join("notes")).unwrap();
        let work = work.canonicalize().unwrap();
        let config = dir.path().join("claude-config");
        std::fs::create_dir_all(&config).unwrap();
        // Claude Code against the scripted Anthropic server, with a home of its own.
        let env: Vec<(String, String)> = vec![
            ("ANTHROPIC_BASE_URL".into(), model.url()),
            ("ANTHROPIC_API_KEY".into(), "sk-test".into()),
            ("CLAUDE_CONFIG_DIR".into(), config.display().to_string()),
            ("HOME".into(), dir.path().display().to_string()),
            ("DISABLE_TELEMETRY".into(), "1".into()),
            (
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC".into(),
                "1".into(),
            ),
        ];
        let backend = claude_code(&claude.display().to_string(), &env);

        let allowed = work.join("notes/TODO.md");
        script_claude_write(&model, &allowed, "toolu_w1");
        let run = drive(&work, backend.as_ref(), "add the notes")
            .await
            .unwrap();
        assert_eq!(run.outcome, TurnOutcome::Completed, "{run:?}");
        assert_eq!(run.asked.len(), 1, "{run:?}");
        assert_eq!(run.asked[0].1, PermissionDecision::AllowOnce, "{run:?}");
        assert_eq!(std::fs::read_to_string(&allowed).unwrap(), "written\n");
        assert!(run.answer.ends_with("Done."), "{run:?}");

        let refused = work.join("Cargo.toml");
        script_claude_write(&model, &refused, "toolu_w2");
        let run = drive(&work, backend.as_ref(), "touch the manifest")
            .await
            .unwrap();
        assert_eq!(run.asked.len(), 1, "{run:?}");
        assert_eq!(run.asked[0].1, PermissionDecision::Deny, "{run:?}");
        assert!(!refused.exists(), "a refused write must not land");
    }
}
