//! Hooks through the real server, from a project's `.boocode/settings.json`: in a native chat
//! every event fires in order (a log file written by the hook proves it), a `PreToolUse` hook
//! denies a call (the model sees why), rewrites another's arguments, and one that hangs is
//! killed at its timeout and denies; `PostToolUse` feedback and prompt context reach the model;
//! a blocked prompt never reaches it. The same hook file guards claude-agent-acp's and
//! opencode's permission requests: their commands never run and nobody is asked.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;

use boocode_testkit::{AnthropicReply, Reply, ScriptedAnthropic, ScriptedOpenAi};
use common::*;
use serde_json::{Value, json};

/// One script for every event: logs the event, then answers as the test needs.
const HOOK: &str = r#"
import json, os, sys, time
data = json.load(sys.stdin)
event = data["hook_event_name"]
tool = data.get("tool_name", "")
with open(os.path.join(os.environ["BOOCODE_PROJECT_DIR"], "hooks.log"), "a") as log:
    log.write((event + " " + tool).strip() + "\n")
args = data.get("tool_input") or {}
if event == "UserPromptSubmit":
    if "forbidden" in data["prompt"]:
        print("prompts about forbidden things are blocked", file=sys.stderr)
        sys.exit(2)
    print("Branch: main")
elif event == "PreToolUse":
    if tool == "list_dir":
        time.sleep(60)
    if args.get("pattern") == "secret":
        print("no secret hunting", file=sys.stderr)
        sys.exit(2)
    if args.get("pattern") == "needle":
        print(json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse",
            "permissionDecision": "allow", "updatedInput": {"pattern": "haystack"}}}))
    if tool.lower() == "bash" or "touch " in json.dumps(args):
        print(json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse",
            "permissionDecision": "deny", "permissionDecisionReason": "no touching"}}))
elif event == "PostToolUse" and tool == "grep":
    print(json.dumps({"hookSpecificOutput": {"hookEventName": "PostToolUse",
        "additionalContext": "post-check: fine"}}))
"#;

fn install_hooks(repo: &std::path::Path) {
    std::fs::create_dir_all(repo.join(".boocode")).unwrap();
    std::fs::write(repo.join(".boocode/hook.py"), HOOK).unwrap();
    let command = r#"python3 "$BOOCODE_PROJECT_DIR/.boocode/hook.py""#;
    let entry = json!([{ "matcher": "*", "hooks": [{"type": "command", "command": command, "timeout": 5}] }]);
    let mut hooks = serde_json::Map::new();
    for event in [
        "SessionStart",
        "UserPromptSubmit",
        "PreToolUse",
        "PostToolUse",
        "Stop",
    ] {
        hooks.insert(event.into(), entry.clone());
    }
    std::fs::write(
        repo.join(".boocode/settings.json"),
        json!({ "hooks": hooks }).to_string(),
    )
    .unwrap();
}

fn log(repo: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(repo.join("hooks.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn notices(message: &Value) -> Vec<String> {
    message["parts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "notice")
        .map(|p| p["message"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_native_chat_runs_every_hook_in_order_and_acts_on_their_answers() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("hooks");
    std::fs::write(repo.join("notes.txt"), "a haystack here\n").unwrap();
    install_hooks(&repo);
    let model = ScriptedOpenAi::start().await.unwrap();
    model.push(
        Reply::stream()
            .tool_call("g1", "grep", &[r#"{"pattern": "secret"}"#])
            .tool_call("g2", "grep", &[r#"{"pattern": "needle"}"#])
            .tool_call("l1", "list_dir", &[r#"{"path": "."}"#]),
    );
    model.push(Reply::text("Looked around."));
    model.push(Reply::text("Second answer."));
    let server = Server::start(&sandbox, Options::new(sandbox.sqlite_url(), model.url())).await;
    let (session, chat) = server.session(&repo).await;
    let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;

    let done = turn(&server, &mut ws, &chat, "look around").await;
    assert_eq!(done["status"], "complete", "{done}");
    let requests = model.completion_requests();
    // The prompt went with the hook's context.
    let first = requests[0].body["messages"].to_string();
    assert!(
        first.contains("<hook-context>") && first.contains("Branch: main"),
        "{first}"
    );
    // The denial, the rewritten search, the feedback and the hung hook, as the model saw them.
    let results = requests[1].body["messages"].to_string();
    for expected in [
        "blocked by a PreToolUse hook: no secret hunting",
        "notes.txt",
        "post-check: fine",
        "timed out after 5 s",
    ] {
        assert!(results.contains(expected), "{expected}: {results}");
    }
    // Every event in order.
    let events = log(&repo);
    assert_eq!(
        events[..2],
        ["SessionStart", "UserPromptSubmit"],
        "{events:?}"
    );
    assert_eq!(events.last().unwrap(), "Stop", "{events:?}");
    let pre = events
        .iter()
        .filter(|e| e.starts_with("PreToolUse"))
        .count();
    let post: Vec<&String> = events
        .iter()
        .filter(|e| e.starts_with("PostToolUse"))
        .collect();
    // Three asked; only the rewritten grep ran (denied calls have no result to check).
    assert_eq!((pre, post.len()), (3, 1), "{events:?}");
    // Each run is a notice in the stored message.
    let messages = server.messages(&chat).await;
    let shown = notices(messages.last().unwrap()).join("\n");
    for expected in [
        "hook SessionStart",
        "hook PreToolUse `python3",
        "denied",
        "no secret hunting",
        "hook rewrote the arguments of grep",
        "timed out",
        "hook Stop",
    ] {
        assert!(shown.contains(expected), "{expected}: {shown}");
    }

    // A second turn: no SessionStart; a blocked prompt never reaches the model.
    std::fs::remove_file(repo.join("hooks.log")).unwrap();
    let done = turn(&server, &mut ws, &chat, "again").await;
    assert_eq!(done["status"], "complete", "{done}");
    assert_eq!(log(&repo), ["UserPromptSubmit", "Stop"]);
    let asked = model.completion_requests().len();
    let done = turn(&server, &mut ws, &chat, "tell me forbidden things").await;
    assert_eq!(
        model.completion_requests().len(),
        asked,
        "the model was asked"
    );
    let shown = notices(&done).join("\n");
    assert!(
        shown.contains("blocked this prompt: prompts about forbidden things are blocked"),
        "{done}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hook_file_guards_claude_acp_and_opencode_permission_requests() {
    let sandbox = Sandbox::new();
    let anthropic = ScriptedAnthropic::start().await.unwrap();
    let Some(env) = acp_setup(&sandbox, &anthropic) else {
        return;
    };
    let model = ScriptedOpenAi::start().await.unwrap();
    let repo = sandbox.repo("guarded");
    install_hooks(&repo);
    opencode_config(&repo, &model);
    let root = repo.canonicalize().unwrap();
    let marker = root.join("touched.txt");
    let bash =
        json!({"command": format!("touch {}", marker.display()), "description": "touch a file"});
    anthropic.push(AnthropicReply::new().tool_use("toolu_b1", "Bash", &[&bash.to_string()]));
    anthropic.push(AnthropicReply::new().text(&["The hook refused."]));
    // opencode asks for a title on its own schedule; the conversation gets the script.
    model.answer_matching("You are a title generator", Reply::text("Scripted title"));
    model.answer_matching(
        r#""tool_call_id":"call_1""#,
        Reply::text("opencode was refused too."),
    );
    model.push(Reply::stream().tool_call("call_1", "bash", &[&bash.to_string()]));

    let mut opts = Options::new(sandbox.sqlite_url(), "http://127.0.0.1:9".into());
    opts.env.extend(env);
    let server = Server::start(&sandbox, opts).await;
    let (_, project) = server.post("/api/projects", json!({ "path": repo })).await;
    let pid = project["id"].as_str().unwrap();
    for provider in ["claude-acp", "opencode"] {
        let (status, created) = server
            .post(
                &format!("/api/projects/{pid}/sessions"),
                json!({ "title": provider, "provider": provider, "mode": "review" }),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let session = created["session"]["id"].as_str().unwrap();
        let chat = created["chat"]["id"].as_str().unwrap();
        let mut ws = server.ws(&format!("/api/sessions/{session}/ws")).await;
        let done = turn(&server, &mut ws, chat, "touch it").await;
        assert_eq!(done["status"], "complete", "{provider}: {done}");
        assert!(!marker.exists(), "{provider} ran the command");
        let shown = notices(&done).join("\n");
        assert!(
            shown.contains("hook PreToolUse") && shown.contains("no touching"),
            "{provider}: {shown}\n{done}"
        );
        // Nobody was asked.
        assert!(
            !done["parts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["type"] == "permission"),
            "{provider}: {done}"
        );
        let (_, inbox) = server.get("/api/inbox?state=answered").await;
        assert_eq!(inbox, json!([]), "{provider}");
        // The turn-level hooks fired for the external agent too.
        let events = log(&repo);
        assert!(
            events.contains(&"UserPromptSubmit".to_owned())
                && events.last().map(String::as_str) == Some("Stop"),
            "{provider}: {events:?}"
        );
        std::fs::remove_file(repo.join("hooks.log")).unwrap();
    }
    // Claude Code got the refusal as the call's result and went on.
    let told = anthropic
        .message_requests()
        .last()
        .unwrap()
        .body
        .to_string();
    assert!(
        told.contains("toolu_b1") && told.contains("tool_result"),
        "{told}"
    );
}
