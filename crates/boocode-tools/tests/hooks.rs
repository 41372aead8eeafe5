//! Claude-Code-format hooks run as real shell commands: exit codes and JSON answers, matchers
//! (with Claude Code's tool names), the clean environment, timeouts that kill the whole
//! process group, the failure policy, capped output, and settings files read through the
//! guards — including a configuration copied from Claude Code's documentation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

use boocode_core::{CancellationToken, HookDecision, HookEvent, HookInput, Hooks};
use boocode_tools::{CommandHooks, HookFiles, HookPolicy, HookScope, HookSettings};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".boocode")).unwrap();
    dir
}

fn settings(root: &Path, value: serde_json::Value) {
    std::fs::write(
        root.join(".boocode/settings.json"),
        serde_json::to_string_pretty(&value).unwrap(),
    )
    .unwrap();
}

fn hooks(root: &Path) -> CommandHooks {
    hooks_with(root, HookPolicy::default())
}

fn hooks_with(root: &Path, policy: HookPolicy) -> CommandHooks {
    CommandHooks::new(
        HookFiles::new(root, None),
        HookScope::new("chat-1", root.canonicalize().unwrap()),
        policy,
    )
}

fn one(event: &str, matcher: &str, command: &str) -> serde_json::Value {
    json!({"hooks": {event: [{"matcher": matcher, "hooks": [{"type": "command", "command": command}]}]}})
}

async fn pre(
    hooks: &CommandHooks,
    tool: &str,
    input: serde_json::Value,
) -> boocode_core::HookOutcome {
    hooks
        .run(
            HookInput::tool(HookEvent::PreToolUse, tool, input, Some("call-1")),
            &CancellationToken::new(),
        )
        .await
}

#[tokio::test]
async fn exit_two_blocks_with_stderr_and_json_answers_decide() {
    let dir = project();
    let root = dir.path();
    std::fs::write(
        root.join("guard.sh"),
        "#!/bin/sh\ninput=$(cat)\ncase \"$input\" in *secret*) echo \"no searching for secrets\" >&2; exit 2;; esac\nexit 0\n",
    )
    .unwrap();
    settings(root, one("PreToolUse", "grep", "sh ./guard.sh"));
    let h = hooks(root);
    let denied = pre(&h, "grep", json!({"pattern": "secret"})).await;
    assert_eq!(denied.decision, HookDecision::Deny);
    assert_eq!(denied.reason.as_deref(), Some("no searching for secrets"));
    assert_eq!(denied.runs.len(), 1);
    assert!(
        denied.runs[0]
            .notice()
            .1
            .contains("`sh ./guard.sh`: denied")
    );
    let fine = pre(&h, "grep", json!({"pattern": "main"})).await;
    assert_eq!(fine.decision, HookDecision::None);
    assert_eq!(fine.runs.len(), 1);
    // The matcher is anchored: `grep` does not apply to other tools.
    assert!(
        pre(&h, "view_file", json!({"path": "secret"}))
            .await
            .is_empty()
    );

    // JSON: ask, and rewritten arguments.
    settings(
        root,
        one(
            "PreToolUse",
            "*",
            r#"echo '{"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "ask", "permissionDecisionReason": "check this", "updatedInput": {"pattern": "safe"}}}'"#,
        ),
    );
    let asked = pre(&hooks(root), "grep", json!({"pattern": "x"})).await;
    assert_eq!(asked.decision, HookDecision::Ask);
    assert_eq!(asked.reason.as_deref(), Some("check this"));
    assert_eq!(asked.updated_input, Some(json!({"pattern": "safe"})));
}

#[tokio::test]
async fn several_hooks_run_and_the_strongest_decision_wins() {
    let dir = project();
    let root = dir.path();
    settings(
        root,
        json!({"hooks": {"PreToolUse": [
            {"matcher": "grep", "hooks": [{"type": "command", "command": "echo '{\"decision\": \"approve\"}'"}]},
            {"matcher": "Grep", "hooks": [
                {"type": "command", "command": "echo nope >&2; exit 2"},
                // The same command twice runs once.
                {"type": "command", "command": "echo nope >&2; exit 2"}
            ]},
        ]}}),
    );
    let outcome = pre(&hooks(root), "grep", json!({})).await;
    // `Grep` is the native grep's Claude Code name.
    assert_eq!(outcome.runs.len(), 2);
    assert_eq!(outcome.decision, HookDecision::Deny);
    assert_eq!(outcome.reason.as_deref(), Some("nope"));
}

#[tokio::test]
async fn a_hook_gets_the_envelope_in_a_clean_environment_in_the_project() {
    let dir = project();
    let root = dir.path();
    // Our own process has cargo's variables; the hook must not.
    assert!(std::env::var("CARGO_MANIFEST_DIR").is_ok());
    settings(
        root,
        one(
            "PostToolUse",
            "Edit|Write",
            "cat > envelope.json; env > env.txt; pwd > pwd.txt",
        ),
    );
    let outcome = hooks(root)
        .run(
            HookInput::post_tool(
                "create_file",
                json!({"path": "src/a.rs", "content": "x"}),
                Some("c9"),
                "created",
                false,
            ),
            &CancellationToken::new(),
        )
        .await;
    assert_eq!(outcome.runs.len(), 1, "{outcome:?}");
    let envelope: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("envelope.json")).unwrap())
            .unwrap();
    let real = root.canonicalize().unwrap();
    assert_eq!(envelope["hook_event_name"], "PostToolUse");
    assert_eq!(envelope["session_id"], "chat-1");
    assert_eq!(envelope["tool_name"], "create_file");
    assert_eq!(envelope["tool_use_id"], "c9");
    assert_eq!(envelope["cwd"], real.display().to_string());
    assert_eq!(envelope["tool_response"]["content"], "created");
    // Claude Code's field for the file, absolute.
    assert_eq!(
        envelope["tool_input"]["file_path"],
        real.join("src/a.rs").display().to_string()
    );
    let env = std::fs::read_to_string(root.join("env.txt")).unwrap();
    assert!(
        env.contains(&format!("BOOCODE_PROJECT_DIR={}", real.display())),
        "{env}"
    );
    assert!(
        env.contains(&format!("CLAUDE_PROJECT_DIR={}", real.display())),
        "{env}"
    );
    assert!(env.contains("PATH="), "{env}");
    assert!(!env.contains("CARGO_MANIFEST_DIR"), "{env}");
    assert_eq!(
        std::fs::read_to_string(root.join("pwd.txt"))
            .unwrap()
            .trim(),
        real.display().to_string()
    );
}

#[tokio::test]
async fn a_hanging_hook_is_killed_with_its_children_at_its_timeout_and_denies() {
    let dir = project();
    let root = dir.path();
    settings(
        root,
        json!({"hooks": {"PreToolUse": [{"hooks": [{"type": "command",
            "command": "sleep 300 & echo $! > child.pid; wait", "timeout": 1}]}]}}),
    );
    let started = Instant::now();
    let outcome = pre(&hooks(root), "grep", json!({})).await;
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(outcome.decision, HookDecision::Deny);
    assert!(outcome.runs[0].failed);
    assert!(
        outcome.reason.as_deref().unwrap().contains("timed out"),
        "{outcome:?}"
    );
    let pid: i32 = std::fs::read_to_string(root.join("child.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The background `sleep` went with the hook's process group.
    let mut gone = false;
    for _ in 0..100 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Gone, or a zombie waiting for its reaper.
        if stat.is_empty() || stat.split_whitespace().nth(2) == Some("Z") {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "the hook's child {pid} survived");
}

#[tokio::test]
async fn a_failing_guard_denies_unless_the_policy_allows_and_other_events_only_report() {
    let dir = project();
    let root = dir.path();
    settings(
        root,
        json!({"hooks": {
            "PreToolUse": [{"hooks": [{"type": "command", "command": "echo broken >&2; exit 1"}]}],
            "Stop": [{"hooks": [{"type": "command", "command": "exit 3"}]}],
        }}),
    );
    let denied = pre(&hooks(root), "grep", json!({})).await;
    assert_eq!(denied.decision, HookDecision::Deny);
    assert!(denied.reason.unwrap().contains("exit code 1: broken"));
    let mut lenient = HookPolicy::default();
    lenient.error_denies = false;
    let let_through = pre(&hooks_with(root, lenient), "grep", json!({})).await;
    assert_eq!(let_through.decision, HookDecision::None);
    assert!(let_through.runs[0].failed);
    let stop = hooks(root)
        .run(HookInput::stop(false), &CancellationToken::new())
        .await;
    assert_eq!(stop.decision, HookDecision::None);
    assert!(stop.runs[0].failed);
    assert!(stop.runs[0].notice().1.contains("failed"));
}

#[tokio::test]
async fn huge_output_is_capped_and_plain_prompt_output_is_context() {
    let dir = project();
    let root = dir.path();
    settings(
        root,
        json!({"hooks": {"UserPromptSubmit": [{"hooks": [
            {"type": "command", "command": "head -c 5000000 /dev/zero | tr '\\0' x; echo"},
            {"type": "command", "command": "echo 'Current branch: main'"}
        ]}]}}),
    );
    let outcome = hooks(root)
        .run(HookInput::prompt("hello"), &CancellationToken::new())
        .await;
    assert_eq!(outcome.runs.len(), 2);
    let context = outcome.context_text().unwrap();
    assert!(context.contains("Current branch: main"));
    assert!(
        context.len() <= boocode_tools::HOOK_OUTPUT_MAX_BYTES + 100,
        "{}",
        context.len()
    );
}

/// The "file protection" example of Claude Code's hooks guide, pasted as it is.
#[tokio::test]
async fn a_configuration_from_claude_codes_documentation_works_unchanged() {
    let dir = project();
    let root = dir.path();
    std::fs::write(
        root.join(".boocode/settings.json"),
        r#"{
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Edit|MultiEdit|Write",
        "hooks": [
          {
            "type": "command",
            "command": "python3 -c \"import json, sys; data=json.load(sys.stdin); path=data.get('tool_input',{}).get('file_path',''); sys.exit(2 if any(p in path for p in ['.env', 'package-lock.json', '.git/']) else 0)\""
          }
        ]
      }
    ]
  }
}"#,
    )
    .unwrap();
    let h = hooks(root);
    let blocked = pre(
        &h,
        "create_file",
        json!({"path": "package-lock.json", "content": "{}"}),
    )
    .await;
    assert_eq!(blocked.decision, HookDecision::Deny, "{blocked:?}");
    let fine = pre(&h, "edit_file", json!({"path": "src/lib.rs"})).await;
    assert_eq!((fine.decision, fine.runs.len()), (HookDecision::None, 1));
    // Reads are not what it guards.
    assert!(
        pre(&h, "view_file", json!({"path": ".env"}))
            .await
            .is_empty()
    );
}

#[test]
fn bad_settings_are_reported_by_file_and_field_and_the_rest_load() {
    assert!(
        HookSettings::parse("s.json", "{nope")
            .unwrap_err()
            .starts_with("s.json: not valid JSON")
    );
    let parsed = HookSettings::parse(
        "s.json",
        &json!({"permissions": {"allow": ["Bash"]}, "hooks": {
            "SessionEnd": [],
            "PreToolUse": [
                {"matcher": "(", "hooks": [{"type": "command", "command": "true"}]},
                {"matcher": "grep", "hooks": [
                    {"type": "prompt", "prompt": "judge"},
                    {"type": "command"},
                    {"type": "command", "command": "true", "timeout": -4}
                ]}
            ]
        }})
        .to_string(),
    )
    .unwrap();
    let warnings = parsed.warnings.join("\n");
    for expected in [
        "s.json: hooks.SessionEnd: BooCode does not fire this event",
        "s.json: hooks.PreToolUse[0].matcher \"(\" is not a valid pattern",
        "s.json: hooks.PreToolUse[1].hooks[0]: type \"prompt\" is not supported",
        "s.json: hooks.PreToolUse[1].hooks[1].command is missing",
        "s.json: hooks.PreToolUse[1].hooks[2].timeout must be seconds",
    ] {
        assert!(warnings.contains(expected), "{expected}\n{warnings}");
    }
    let groups = &parsed.events[&HookEvent::PreToolUse];
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].hooks.len(), 1);
    assert!(groups[0].matches(Some("grep"), &[]));
    assert!(!groups[0].matches(Some("grepx"), &[]));
}

#[test]
fn settings_files_are_read_through_the_guards_and_the_claude_file_only_when_asked() {
    let dir = project();
    let root = dir.path();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("settings.json"),
        one("Stop", "", "echo outside").to_string(),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("settings.json"),
        root.join(".boocode/settings.json"),
    )
    .unwrap();
    let loaded = HookFiles::new(root, None).load();
    assert!(!loaded.has(HookEvent::Stop));
    assert!(
        loaded.warnings[0].contains(".boocode/settings.json"),
        "{:?}",
        loaded.warnings
    );

    // Too big: refused before reading.
    std::fs::remove_file(root.join(".boocode/settings.json")).unwrap();
    std::fs::write(
        root.join(".boocode/settings.json"),
        vec![b' '; boocode_tools::HOOK_SETTINGS_MAX_BYTES as usize + 1],
    )
    .unwrap();
    let loaded = HookFiles::new(root, None).load();
    assert!(
        loaded.warnings[0].contains("at most"),
        "{:?}",
        loaded.warnings
    );
    std::fs::remove_file(root.join(".boocode/settings.json")).unwrap();

    // Claude Code's project file: only when opted in; the user's file always.
    std::fs::create_dir_all(root.join(".claude")).unwrap();
    std::fs::write(
        root.join(".claude/settings.json"),
        one("Stop", "", "echo claude").to_string(),
    )
    .unwrap();
    let config = tempfile::tempdir().unwrap();
    std::fs::write(
        config.path().join("settings.json"),
        one("PreCompact", "", "echo mine").to_string(),
    )
    .unwrap();
    let files = HookFiles::new(root, Some(config.path().to_path_buf()));
    let plain = files.load();
    assert!(plain.has(HookEvent::PreCompact) && !plain.has(HookEvent::Stop));
    let with_claude = files.clone().with_claude_settings(true).load();
    assert!(with_claude.has(HookEvent::PreCompact) && with_claude.has(HookEvent::Stop));

    // Project files off: the user's own hooks only, whatever the repository holds.
    settings(root, one("SessionStart", "", "echo from the repo"));
    let own_only = files
        .with_claude_settings(true)
        .with_project_settings(false)
        .load();
    assert!(own_only.has(HookEvent::PreCompact));
    assert!(!own_only.has(HookEvent::Stop) && !own_only.has(HookEvent::SessionStart));
}
