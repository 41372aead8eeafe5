//! Hooks as shell commands, in Claude Code's format: [`CommandHooks`] implements
//! [`boocode_core::Hooks`] for one chat.
//!
//! Each matching command runs with `sh -c` in the project root, in its own process group, with
//! a clean environment (`PATH`, `HOME`, locale, plus `BOOCODE_PROJECT_DIR` and
//! `CLAUDE_PROJECT_DIR`), the JSON envelope on stdin, a time limit (60 s unless the hook or
//! the policy says otherwise) and its output capped. It answers by exit code — 0 ok (stdout
//! may be JSON), 2 block (stderr is the reason) — or by JSON on stdout (`decision`, `reason`,
//! `continue`, `systemMessage`, `hookSpecificOutput`). A command that fails or times out is a
//! failed run; for `PreToolUse` and `PermissionRequest` it denies unless the policy says
//! otherwise, so a broken guard never lets through what it was meant to stop.
//!
//! Settings are read again for every event (small files, size-capped), so an edit takes effect
//! at the next tool call without restarting anything.

mod settings;

pub use settings::{HOOK_SETTINGS_MAX_BYTES, HookCommand, HookFiles, HookSettings, MatcherGroup};

use boocode_core::{
    CancellationToken, HookDecision, HookEvent, HookInput, HookOutcome, HookRun, Hooks,
};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The most of a hook's stdout or stderr that is kept.
pub const HOOK_OUTPUT_MAX_BYTES: usize = 64 * 1024;

/// The time a hook may take unless it sets its own.
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(60);

/// Environment variables a hook inherits; everything else is left out.
const PASSED_ENV: &[&str] = &[
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
    "TERM",
];

/// How hooks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HookPolicy {
    /// The time limit of a hook that sets none.
    pub timeout: Duration,
    /// Whether a `PreToolUse`/`PermissionRequest` hook that fails or times out denies the call
    /// (the default) rather than letting it through.
    pub error_denies: bool,
}

impl Default for HookPolicy {
    fn default() -> Self {
        Self {
            timeout: HOOK_TIMEOUT,
            error_denies: true,
        }
    }
}

/// What the envelope says about the chat the hooks run for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HookScope {
    /// The chat's id (`session_id` in the envelope).
    pub session_id: String,
    /// The project root: the hooks' working directory and `BOOCODE_PROJECT_DIR`.
    pub cwd: PathBuf,
    /// The chat's permission mode, in Claude Code's words (`default`, `acceptEdits`, `plan`).
    pub permission_mode: String,
    /// Who runs the chat (`boocode`, `claude-acp`, …).
    pub provider: String,
}

impl HookScope {
    /// The scope of chat `session_id` in `cwd`.
    pub fn new(session_id: impl Into<String>, cwd: impl Into<PathBuf>) -> Self {
        Self {
            session_id: session_id.into(),
            cwd: cwd.into(),
            permission_mode: "default".into(),
            provider: boocode_core::NATIVE_PROVIDER.into(),
        }
    }

    /// The same scope with the chat's permission mode.
    pub fn permission_mode(mut self, mode: impl Into<String>) -> Self {
        self.permission_mode = mode.into();
        self
    }

    /// The same scope naming who runs the chat.
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = provider.into();
        self
    }
}

/// Claude Code's hooks, run for one chat.
#[derive(Debug, Clone)]
pub struct CommandHooks {
    files: HookFiles,
    scope: HookScope,
    policy: HookPolicy,
}

impl CommandHooks {
    /// The hooks `files` configure, run for `scope` under `policy`.
    pub fn new(files: HookFiles, scope: HookScope, policy: HookPolicy) -> Self {
        Self {
            files,
            scope,
            policy,
        }
    }

    fn envelope(&self, input: &HookInput) -> serde_json::Value {
        let mut v = serde_json::json!({
            "session_id": self.scope.session_id,
            "transcript_path": null,
            "cwd": self.scope.cwd,
            "permission_mode": self.scope.permission_mode,
            "hook_event_name": input.event.as_str(),
            "boocode_provider": self.scope.provider,
        });
        let Some(map) = v.as_object_mut() else {
            return v;
        };
        if let Some(name) = &input.tool_name {
            map.insert("tool_name".into(), name.clone().into());
        }
        if let Some(tool_input) = &input.tool_input {
            map.insert(
                "tool_input".into(),
                with_file_path(tool_input, &self.scope.cwd),
            );
        }
        let fields = [
            ("tool_use_id", &input.tool_use_id),
            ("prompt", &input.prompt),
            ("source", &input.source),
            ("trigger", &input.trigger),
            ("message", &input.message),
            ("notification_type", &input.notification_type),
        ];
        for (key, value) in fields {
            if let Some(value) = value {
                map.insert(key.into(), value.clone().into());
            }
        }
        if let Some(response) = &input.tool_response {
            map.insert("tool_response".into(), response.clone());
        }
        if matches!(input.event, HookEvent::Stop | HookEvent::SubagentStop) {
            map.insert("stop_hook_active".into(), input.stop_hook_active.into());
        }
        if input.event == HookEvent::PreCompact {
            map.insert("custom_instructions".into(), "".into());
        }
        v
    }
}

/// A native tool's Claude Code name, so matchers written for Claude Code apply.
pub fn claude_tool_name(tool: &str) -> Option<&'static str> {
    Some(match tool {
        "view_file" => "Read",
        "edit_file" => "Edit",
        "create_file" => "Write",
        "grep" => "Grep",
        "find_files" => "Glob",
        "list_dir" => "LS",
        "web_fetch" => "WebFetch",
        "web_search" => "WebSearch",
        "skill" => "Skill",
        "delegate" => "Task",
        _ => return None,
    })
}

/// Tool arguments as a hook sees them: a relative `path` is also given as an absolute
/// `file_path` (Claude Code's name), so scripts written for it read the same field.
fn with_file_path(input: &serde_json::Value, root: &std::path::Path) -> serde_json::Value {
    let mut input = input.clone();
    if let Some(map) = input.as_object_mut()
        && !map.contains_key("file_path")
        && let Some(path) = map.get("path").and_then(|p| p.as_str())
    {
        let full = root.join(path).display().to_string();
        map.insert("file_path".into(), full.into());
    }
    input
}

#[async_trait::async_trait]
impl Hooks for CommandHooks {
    async fn run(&self, input: HookInput, cancel: &CancellationToken) -> HookOutcome {
        let files = self.files.clone();
        let settings = tokio::task::spawn_blocking(move || files.load())
            .await
            .unwrap_or_default();
        let Some(groups) = settings.events.get(&input.event) else {
            return HookOutcome::default();
        };
        let key = match input.event {
            HookEvent::PreToolUse | HookEvent::PermissionRequest | HookEvent::PostToolUse => {
                input.tool_name.as_deref()
            }
            HookEvent::SessionStart => input.source.as_deref(),
            HookEvent::PreCompact => input.trigger.as_deref(),
            HookEvent::Notification => input.notification_type.as_deref(),
            _ => None,
        };
        let aliases: Vec<&str> = input
            .tool_name
            .as_deref()
            .and_then(claude_tool_name)
            .into_iter()
            .collect();
        // Every matching command once, in configuration order.
        let mut commands: Vec<&HookCommand> = Vec::new();
        for group in groups.iter().filter(|g| g.matches(key, &aliases)) {
            for hook in &group.hooks {
                if !commands.iter().any(|c| c.command == hook.command) {
                    commands.push(hook);
                }
            }
        }
        if commands.is_empty() {
            return HookOutcome::default();
        }
        let envelope = self.envelope(&input).to_string();
        let runs = commands.iter().map(|hook| {
            let limit = hook.timeout.unwrap_or(self.policy.timeout);
            run_command(&hook.command, &self.scope.cwd, &envelope, limit, cancel)
        });
        let finished = futures::future::join_all(runs).await;
        let mut outcome = HookOutcome::default();
        for (hook, ran) in commands.iter().zip(finished) {
            fold(&mut outcome, input.event, hook, ran, &self.policy, &input);
        }
        outcome
    }
}

/// How one command ended.
struct Ran {
    exit: Result<i32, String>,
    stdout: String,
    stderr: String,
    duration_ms: u64,
}

/// Runs `command` with the envelope on stdin, killed with its process group at `limit` or on
/// `cancel`.
async fn run_command(
    command: &str,
    cwd: &std::path::Path,
    envelope: &str,
    limit: Duration,
    cancel: &CancellationToken,
) -> Ran {
    let started = Instant::now();
    let elapsed = |started: Instant| u64::try_from(started.elapsed().as_millis()).unwrap_or(0);
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(cwd)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    for key in PASSED_ENV {
        if let Some(value) = std::env::var_os(key) {
            cmd.env(key, value);
        }
    }
    cmd.env("BOOCODE_PROJECT_DIR", cwd)
        .env("CLAUDE_PROJECT_DIR", cwd);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return Ran {
                exit: Err(format!("cannot start it: {e}")),
                stdout: String::new(),
                stderr: String::new(),
                duration_ms: elapsed(started),
            };
        }
    };
    let group = ProcessGroup(child.id());
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let envelope = envelope.as_bytes().to_vec();
    let work = async {
        let write = async move {
            if let Some(mut stdin) = stdin {
                // A hook that never reads its stdin is fine.
                let _ = stdin.write_all(&envelope).await;
                let _ = stdin.shutdown().await;
            }
        };
        let (_, out, err) = tokio::join!(write, capped(stdout), capped(stderr));
        let status = child.wait().await;
        (status, out, err)
    };
    let ended = tokio::select! {
        biased;
        _ = cancel.cancelled() => Err("cancelled with the turn".to_owned()),
        r = tokio::time::timeout(limit, work) => r.map_err(|_| format!("timed out after {} s, killed", limit.as_secs_f64())),
    };
    match ended {
        Ok((status, stdout, stderr)) => {
            // Whatever it left running in its group goes with it.
            drop(group);
            Ran {
                exit: match status {
                    Ok(s) => s.code().ok_or_else(|| "killed by a signal".to_owned()),
                    Err(e) => Err(e.to_string()),
                },
                stdout,
                stderr,
                duration_ms: elapsed(started),
            }
        }
        Err(why) => {
            drop(group);
            Ran {
                exit: Err(why),
                stdout: String::new(),
                stderr: String::new(),
                duration_ms: elapsed(started),
            }
        }
    }
}

/// Kills a hook's whole process group when dropped.
struct ProcessGroup(Option<u32>);

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if let Some(pid) = self.0.and_then(|p| i32::try_from(p).ok()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Reads a pipe to its end, keeping the first [`HOOK_OUTPUT_MAX_BYTES`].
async fn capped<R: tokio::io::AsyncRead + Unpin>(pipe: Option<R>) -> String {
    let Some(mut pipe) = pipe else {
        return String::new();
    };
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = HOOK_OUTPUT_MAX_BYTES.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}

/// A command line as a notice shows it.
fn short(command: &str) -> String {
    let line = command.lines().next().unwrap_or("").trim();
    if line.chars().count() > 80 || command.lines().count() > 1 {
        format!("{}…", line.chars().take(80).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// Folds one command's answer into the outcome.
fn fold(
    outcome: &mut HookOutcome,
    event: HookEvent,
    hook: &HookCommand,
    ran: Ran,
    policy: &HookPolicy,
    input: &HookInput,
) {
    let mut run = HookRun::new(event, short(&hook.command), HookDecision::None);
    run.duration_ms = ran.duration_ms;
    let guards = matches!(event, HookEvent::PreToolUse | HookEvent::PermissionRequest);
    let mut decision = HookDecision::None;
    let mut reason: Option<String> = None;
    match ran.exit {
        Err(why) => {
            run.failed = true;
            run.detail = Some(why.clone());
            if guards && policy.error_denies {
                decision = HookDecision::Deny;
                reason = Some(format!("the hook `{}` failed: {why}", run.hook));
            }
        }
        Ok(2) => {
            decision = HookDecision::Deny;
            let stderr = ran.stderr.trim();
            reason = Some(if stderr.is_empty() {
                format!("the hook `{}` blocked it", run.hook)
            } else {
                stderr.to_owned()
            });
            run.detail = reason.clone();
        }
        Ok(0) => {
            let stdout = ran.stdout.trim();
            match stdout
                .starts_with('{')
                .then(|| serde_json::from_str::<serde_json::Value>(stdout).ok())
                .flatten()
            {
                Some(json) => {
                    let said = answer(&json, event, input);
                    decision = said.decision;
                    reason = said.reason;
                    if let Some(updated) = said.updated_input {
                        outcome.updated_input = Some(updated);
                    }
                    outcome.context.extend(said.context);
                    if let Some(stop) = said.stop {
                        outcome.stop_turn = Some(stop);
                    }
                    run.detail = said.message.or_else(|| reason.clone());
                }
                // Plain output is context where the event takes some.
                None if matches!(event, HookEvent::UserPromptSubmit | HookEvent::SessionStart)
                    && !stdout.is_empty() =>
                {
                    outcome.context.push(stdout.to_owned());
                }
                None => {}
            }
        }
        Ok(code) => {
            run.failed = true;
            let stderr = ran.stderr.trim();
            let why = if stderr.is_empty() {
                format!("exit code {code}")
            } else {
                format!("exit code {code}: {stderr}")
            };
            run.detail = Some(why.clone());
            if guards && policy.error_denies {
                decision = HookDecision::Deny;
                reason = Some(format!("the hook `{}` failed ({why})", run.hook));
            }
        }
    }
    run.decision = decision;
    outcome.decision = outcome.decision.max(decision);
    if decision != HookDecision::None
        && decision == outcome.decision
        && let Some(reason) = reason
    {
        outcome.reason = Some(match outcome.reason.take() {
            Some(earlier) if decision == HookDecision::Deny && !earlier.is_empty() => {
                format!("{earlier}; {reason}")
            }
            _ => reason,
        });
    }
    outcome.runs.push(run);
}

/// What a JSON answer says.
#[derive(Default)]
struct Said {
    decision: HookDecision,
    reason: Option<String>,
    updated_input: Option<serde_json::Value>,
    context: Vec<String>,
    stop: Option<String>,
    message: Option<String>,
}

fn text(v: &serde_json::Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(|s| s.as_str())
        .map(str::to_owned)
        .filter(|s| !s.trim().is_empty())
}

/// Reads Claude Code's JSON hook output.
fn answer(json: &serde_json::Value, event: HookEvent, input: &HookInput) -> Said {
    let mut said = Said {
        message: text(json, "systemMessage"),
        ..Said::default()
    };
    if json.get("continue").and_then(|c| c.as_bool()) == Some(false) {
        said.stop = Some(text(json, "stopReason").unwrap_or_else(|| "no reason given".into()));
    }
    // The older top-level form: `decision` "approve" / "block" with `reason`.
    match json.get("decision").and_then(|d| d.as_str()) {
        Some("block") => said.decision = HookDecision::Deny,
        Some("approve") => said.decision = HookDecision::Allow,
        _ => {}
    }
    said.reason = text(json, "reason");
    let specific = json
        .get("hookSpecificOutput")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    match specific.get("permissionDecision").and_then(|d| d.as_str()) {
        Some("allow") => said.decision = HookDecision::Allow,
        Some("deny") => said.decision = HookDecision::Deny,
        Some("ask") => said.decision = HookDecision::Ask,
        _ => {}
    }
    if let Some(reason) = text(&specific, "permissionDecisionReason") {
        said.reason = Some(reason);
    }
    // PermissionRequest: `decision: {behavior, updatedInput, message}`.
    if let Some(decided) = specific.get("decision").filter(|d| d.is_object()) {
        match decided.get("behavior").and_then(|b| b.as_str()) {
            Some("allow") => said.decision = HookDecision::Allow,
            Some("deny") => said.decision = HookDecision::Deny,
            _ => {}
        }
        if let Some(message) = text(decided, "message") {
            said.reason = Some(message);
        }
        if let Some(updated) = decided.get("updatedInput").filter(|u| u.is_object()) {
            said.updated_input = Some(updated.clone());
        }
    }
    if let Some(updated) = specific.get("updatedInput").filter(|u| u.is_object()) {
        said.updated_input = Some(updated.clone());
    }
    // Drop the `file_path` we added for the hook if it gave it back unchanged.
    if let (Some(updated), Some(original)) = (&mut said.updated_input, &input.tool_input)
        && original.get("file_path").is_none()
        && let Some(map) = updated.as_object_mut()
    {
        map.remove("file_path");
    }
    if let Some(context) = text(&specific, "additionalContext") {
        said.context.push(context);
    }
    // `decision` means nothing to events that cannot be blocked.
    if matches!(
        event,
        HookEvent::SessionStart | HookEvent::PreCompact | HookEvent::Notification
    ) {
        said.decision = HookDecision::None;
    }
    said
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_answers_in_both_forms_are_read() {
        let input = HookInput::tool(
            HookEvent::PreToolUse,
            "grep",
            serde_json::json!({"pattern": "x"}),
            None,
        );
        let said = answer(
            &serde_json::json!({"hookSpecificOutput": {"hookEventName": "PreToolUse",
                "permissionDecision": "deny", "permissionDecisionReason": "no"}}),
            HookEvent::PreToolUse,
            &input,
        );
        assert_eq!(
            (said.decision, said.reason.as_deref()),
            (HookDecision::Deny, Some("no"))
        );
        let said = answer(
            &serde_json::json!({"decision": "block", "reason": "fix the lint first"}),
            HookEvent::PostToolUse,
            &input,
        );
        assert_eq!(said.decision, HookDecision::Deny);
        let said = answer(
            &serde_json::json!({"continue": false, "stopReason": "enough",
                "hookSpecificOutput": {"updatedInput": {"pattern": "y", "file_path": "/x"}}}),
            HookEvent::PreToolUse,
            &input,
        );
        assert_eq!(said.stop.as_deref(), Some("enough"));
        assert_eq!(
            said.updated_input,
            Some(serde_json::json!({"pattern": "y"}))
        );
        let said = answer(
            &serde_json::json!({"decision": "block"}),
            HookEvent::Notification,
            &input,
        );
        assert_eq!(said.decision, HookDecision::None);
    }

    #[test]
    fn long_commands_are_shortened_for_notices() {
        assert_eq!(short("./guard.sh"), "./guard.sh");
        assert!(short(&"x".repeat(200)).ends_with('…'));
        assert_eq!(short("a\nb"), "a…");
    }
}
