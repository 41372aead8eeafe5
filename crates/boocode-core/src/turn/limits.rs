//! The numbers that bound a turn, and the bookkeeping that enforces them.

use crate::agent::AgentDef;
use crate::event::TurnOutcome;
use crate::tool::ToolSet;
use std::collections::BTreeMap;

/// The hard ceiling on model requests in one turn, whatever an agent asks for.
pub const MAX_STEPS: u32 = 200;
/// Tool-call budget for read-only agents and for turns with no agent.
pub const READ_ONLY_TOOL_BUDGET: u32 = 30;
/// Tool-call budget for agents that have write tools.
pub const WRITE_TOOL_BUDGET: u32 = 10;
/// How many identical calls in a row count as a doom loop.
pub const DOOM_LOOP_REPEATS: usize = 3;

/// Bounds on one turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TurnLimits {
    /// The most model requests (steps) the turn may make; at least 1.
    pub max_steps: u32,
    /// The most tool calls the turn may make.
    pub tool_budget: u32,
    /// Offer no tools and ignore any tool call (an agent with `steps: 0`).
    pub text_only: bool,
}

impl TurnLimits {
    /// At most `steps` model requests (at least 1, at most [`MAX_STEPS`]).
    pub fn max_steps(mut self, steps: u32) -> Self {
        self.max_steps = steps.clamp(1, MAX_STEPS);
        self
    }

    /// At most `calls` tool calls.
    pub fn tool_budget(mut self, calls: u32) -> Self {
        self.tool_budget = calls;
        self
    }

    /// Offers no tools when `text_only` is true.
    pub fn text_only(mut self, text_only: bool) -> Self {
        self.text_only = text_only;
        self
    }

    /// The limits for a turn run by `agent` (or by no agent) with `tools`.
    ///
    /// `effective cap = min(agent.steps, MAX_STEPS)`; `steps: 0` means text-only; the budget is
    /// the agent's `max_tool_calls`, else 10 when any tool can write, else 30.
    pub fn for_agent(agent: Option<&AgentDef>, tools: &ToolSet) -> Self {
        let steps = agent
            .and_then(|a| a.steps)
            .unwrap_or(MAX_STEPS)
            .min(MAX_STEPS);
        let default_budget = if tools.has_write_tools() {
            WRITE_TOOL_BUDGET
        } else {
            READ_ONLY_TOOL_BUDGET
        };
        Self {
            max_steps: steps.max(1),
            tool_budget: agent
                .and_then(|a| a.max_tool_calls)
                .unwrap_or(default_budget),
            text_only: steps == 0,
        }
    }
}

impl Default for TurnLimits {
    fn default() -> Self {
        Self {
            max_steps: MAX_STEPS,
            tool_budget: READ_ONLY_TOOL_BUDGET,
            text_only: false,
        }
    }
}

/// Watches the sequence of calls for the same tool with the same arguments.
#[derive(Debug, Default)]
pub(crate) struct DoomTracker {
    last: Option<(String, String)>,
    run: usize,
}

impl DoomTracker {
    /// Records a call; returns true when it makes [`DOOM_LOOP_REPEATS`] identical calls in a row.
    pub(crate) fn record(&mut self, name: &str, arguments: &str) -> bool {
        let key = (name.to_owned(), canonical_arguments(arguments));
        if self.last.as_ref() == Some(&key) {
            self.run += 1;
        } else {
            self.last = Some(key);
            self.run = 1;
        }
        self.run >= DOOM_LOOP_REPEATS
    }
}

/// Arguments compared by meaning: key order and whitespace do not make two calls different.
fn canonical_arguments(arguments: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(arguments) {
        Ok(value) => sorted(value).to_string(),
        Err(_) => arguments.trim().to_owned(),
    }
}

/// The value with every object's keys in sorted order (maps keep insertion order here).
fn sorted(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(sorted).collect())
        }
        other => other,
    }
}

/// Counts of the calls a turn made, for its sentinel summary.
#[derive(Debug, Default)]
pub(crate) struct CallTally {
    by_tool: BTreeMap<String, u32>,
    total: u32,
}

impl CallTally {
    pub(crate) fn add(&mut self, name: &str) {
        *self.by_tool.entry(name.to_owned()).or_default() += 1;
        self.total += 1;
    }

    pub(crate) fn total(&self) -> u32 {
        self.total
    }

    fn describe(&self) -> String {
        if self.total == 0 {
            return "No tool calls ran.".to_owned();
        }
        let list: Vec<String> = self
            .by_tool
            .iter()
            .map(|(name, n)| format!("{name} ×{n}"))
            .collect();
        let noun = if self.total == 1 { "call" } else { "calls" };
        format!("{} tool {noun} ran: {}.", self.total, list.join(", "))
    }
}

/// The sentinel summary shown when a turn stops early.
pub(crate) fn sentinel_summary(
    outcome: TurnOutcome,
    limits: &TurnLimits,
    tally: &CallTally,
    doom_tool: Option<&str>,
) -> String {
    let reason = match outcome {
        TurnOutcome::StepCap => format!(
            "Stopped: the step limit ({} model requests) was reached while the model still wanted tools.",
            limits.max_steps
        ),
        TurnOutcome::BudgetExhausted => format!(
            "Stopped: the tool-call budget ({} calls) is used up.",
            limits.tool_budget
        ),
        TurnOutcome::DoomLoop => format!(
            "Stopped: `{}` was called with the same arguments {DOOM_LOOP_REPEATS} times in a row.",
            doom_tool.unwrap_or("a tool")
        ),
        TurnOutcome::Completed | TurnOutcome::Cancelled | TurnOutcome::Error => {
            format!("Stopped: {}.", outcome.as_str())
        }
    };
    format!("{reason} {} Send a message to continue.", tally.describe())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(steps: Option<u32>, max_tool_calls: Option<u32>) -> AgentDef {
        AgentDef {
            name: "a".into(),
            description: None,
            tools: None,
            steps,
            max_tool_calls,
            model: None,
            prompt: String::new(),
            source: None,
            disabled: false,
        }
    }

    #[test]
    fn limits_follow_the_design_rules() {
        let tools = ToolSet::new();
        assert_eq!(TurnLimits::for_agent(None, &tools), TurnLimits::default());
        let l = TurnLimits::for_agent(Some(&agent(Some(500), None)), &tools);
        assert_eq!(l.max_steps, MAX_STEPS);
        let l = TurnLimits::for_agent(Some(&agent(Some(7), Some(3))), &tools);
        assert_eq!((l.max_steps, l.tool_budget, l.text_only), (7, 3, false));
        let l = TurnLimits::for_agent(Some(&agent(Some(0), None)), &tools);
        assert!(l.text_only);
        assert_eq!(l.max_steps, 1);
    }

    #[test]
    fn doom_tracker_fires_on_the_third_identical_call_only() {
        let mut t = DoomTracker::default();
        assert!(!t.record("grep", r#"{"a":1,"b":2}"#));
        assert!(!t.record("grep", r#"{ "b": 2, "a": 1 }"#));
        assert!(t.record("grep", r#"{"a":1,"b":2}"#));
        let mut t = DoomTracker::default();
        assert!(!t.record("grep", "{}"));
        assert!(!t.record("grep", "{}"));
        assert!(!t.record("view_file", "{}"));
        assert!(!t.record("grep", "{}"));
        assert!(!t.record("grep", r#"{"x":1}"#));
    }

    #[test]
    fn summaries_say_why_and_what_ran() {
        let mut tally = CallTally::default();
        tally.add("grep");
        tally.add("grep");
        tally.add("view_file");
        let s = sentinel_summary(
            TurnOutcome::DoomLoop,
            &TurnLimits::default(),
            &tally,
            Some("grep"),
        );
        assert_eq!(
            s,
            "Stopped: `grep` was called with the same arguments 3 times in a row. 3 tool calls ran: grep ×2, view_file ×1. Send a message to continue."
        );
    }
}
