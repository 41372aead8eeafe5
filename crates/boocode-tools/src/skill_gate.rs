//! `allowed-tools` of an active skill: once a skill that names its tools is loaded (by the
//! `skill` tool or `$name` in a message), the turn's other tools are refused until it ends.
//!
//! The gate is a [`Hooks`] layer in front of the configured hooks, so a refusal shows in the
//! chat like any hook's: `hook PreToolUse `skill csv-report allowed-tools`: denied`.

use crate::hooks::claude_tool_name;
use boocode_core::{
    CancellationToken, HookDecision, HookEvent, HookInput, HookOutcome, HookRun, Hooks,
};
use std::sync::{Arc, Mutex};

/// A loaded skill's name and the tools it allows.
type Narrowing = (String, Vec<String>);

/// The skills loaded in a turn that narrow its tools.
#[derive(Debug, Clone, Default)]
pub struct ActiveSkills(Arc<Mutex<Vec<Narrowing>>>);

impl ActiveSkills {
    /// No skill active.
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes skill `name` as loaded; with `allowed`, it narrows the tools from now on.
    pub fn activate(&self, name: &str, allowed: Option<&[String]>) {
        let Some(allowed) = allowed else {
            return;
        };
        let mut active = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !active.iter().any(|(n, _)| n == name) {
            active.push((name.to_owned(), allowed.to_vec()));
        }
    }

    /// Whether `tool` may run: no narrowing skill is active, or one of them allows it (by
    /// its name, its Claude Code name, or a `Name(…)` pattern's name). `skill` always may.
    /// Otherwise the skills that narrow, for the refusal.
    fn check(&self, tool: &str) -> Result<(), Vec<Narrowing>> {
        let active = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if active.is_empty() || tool == "skill" {
            return Ok(());
        }
        let alias = claude_tool_name(tool);
        let allows = |entry: &String| {
            let name = entry.split('(').next().unwrap_or(entry).trim();
            name == tool || Some(name) == alias
        };
        if active.iter().any(|(_, allowed)| allowed.iter().any(allows)) {
            Ok(())
        } else {
            Err(active.clone())
        }
    }
}

/// Hooks with the active skills' `allowed-tools` checked first.
#[derive(Debug)]
pub struct SkillGate {
    active: ActiveSkills,
    inner: Option<Arc<dyn Hooks>>,
}

impl SkillGate {
    /// `inner` (if any) behind the `allowed-tools` of `active`.
    pub fn new(active: ActiveSkills, inner: Option<Arc<dyn Hooks>>) -> Self {
        Self { active, inner }
    }
}

#[async_trait::async_trait]
impl Hooks for SkillGate {
    async fn run(&self, input: HookInput, cancel: &CancellationToken) -> HookOutcome {
        if input.event == HookEvent::PreToolUse
            && let Some(tool) = input.tool_name.as_deref()
            && let Err(active) = self.active.check(tool)
        {
            let names: Vec<&str> = active.iter().map(|(n, _)| n.as_str()).collect();
            let allowed: Vec<String> = active.iter().flat_map(|(_, a)| a.clone()).collect();
            let reason = format!(
                "`{tool}` is not among the tools the active skill {} allows ({}); use those",
                names.join(", "),
                allowed.join(", ")
            );
            let mut run = HookRun::new(
                HookEvent::PreToolUse,
                format!("skill {} allowed-tools", names.join(", ")),
                HookDecision::Deny,
            );
            run.detail = Some(reason.clone());
            let mut outcome = HookOutcome::default();
            outcome.decision = HookDecision::Deny;
            outcome.reason = Some(reason);
            outcome.runs.push(run);
            return outcome;
        }
        match &self.inner {
            Some(inner) => inner.run(input, cancel).await,
            None => HookOutcome::default(),
        }
    }
}
