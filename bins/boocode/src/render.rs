//! Printing a turn's events: for people (answer on stdout, the rest on stderr) or as JSON lines.

use boocode_core::{AgentEvent, EventSink, NoticeLevel, TurnOutcome, Usage};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Instant;

/// How events are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Text to stdout as it streams; reasoning, tool calls and the usage line to stderr.
    Human,
    /// Every event as one JSON object per line on stdout.
    Json,
}

struct State {
    /// Whether the last byte written to stdout ended a line.
    stdout_at_line_start: bool,
    in_reasoning: bool,
    steps: u32,
}

/// An [`EventSink`] that prints.
pub(crate) struct Printer {
    mode: Mode,
    color: bool,
    started: Instant,
    ctx_max: Option<u64>,
    state: Mutex<State>,
}

const DIM: &str = "\x1b[2m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

/// Arguments shortened for one line: `pattern="fn main" path=src`.
pub(crate) fn short_args(arguments: &str) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(arguments)
    else {
        return clip(arguments.trim(), 80);
    };
    let parts: Vec<String> = map
        .iter()
        .map(|(k, v)| {
            let value = match v {
                serde_json::Value::String(s) => format!("{:?}", clip(s, 40)),
                other => clip(&other.to_string(), 40),
            };
            format!("{k}={value}")
        })
        .collect();
    clip(&parts.join(" "), 100)
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max).collect();
    out.push('…');
    out
}

fn human_bytes(n: u64) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    }
}

impl Printer {
    pub(crate) fn new(mode: Mode, ctx_max: Option<u64>) -> Self {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Self {
            mode,
            color,
            started: Instant::now(),
            ctx_max,
            state: Mutex::new(State {
                stdout_at_line_start: true,
                in_reasoning: false,
                steps: 0,
            }),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }

    /// Ends a half-written stdout line before something goes to stderr.
    fn break_stdout(state: &mut State) {
        if !state.stdout_at_line_start {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out);
            let _ = out.flush();
            state.stdout_at_line_start = true;
        }
    }

    fn end_reasoning(&self, state: &mut State) {
        if state.in_reasoning {
            let _ = writeln!(std::io::stderr());
            state.in_reasoning = false;
        }
    }

    fn usage_line(&self, outcome: TurnOutcome, usage: &Usage, steps: u32) -> String {
        let mut line = format!(
            "— {} · {} step{} · {} prompt + {} completion tokens",
            outcome.as_str(),
            steps,
            if steps == 1 { "" } else { "s" },
            usage.prompt_tokens,
            usage.completion_tokens
        );
        if usage.ctx_used > 0 {
            match usage.ctx_max.or(self.ctx_max) {
                Some(max) => line.push_str(&format!(" · context {}/{max}", usage.ctx_used)),
                None => line.push_str(&format!(" · context {}", usage.ctx_used)),
            }
        }
        line.push_str(&format!(" · {:.1} s", self.started.elapsed().as_secs_f64()));
        line
    }

    fn human(&self, event: AgentEvent) {
        let mut state = match self.state.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        let mut err = std::io::stderr().lock();
        match event {
            AgentEvent::TextDelta { text } => {
                self.end_reasoning(&mut state);
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
                state.stdout_at_line_start = text.ends_with('\n');
            }
            AgentEvent::ReasoningDelta { text } => {
                Self::break_stdout(&mut state);
                state.in_reasoning = true;
                let _ = write!(err, "{}", self.paint(DIM, &text));
            }
            AgentEvent::StepStarted { step } => state.steps = step,
            AgentEvent::ToolCallReady {
                name, arguments, ..
            } => {
                Self::break_stdout(&mut state);
                self.end_reasoning(&mut state);
                let _ = writeln!(
                    err,
                    "{}",
                    self.paint(DIM, &format!("⚙ {name} {}", short_args(&arguments)))
                );
            }
            AgentEvent::ToolCallFinished {
                name,
                output,
                is_error,
                duration_ms,
                output_bytes,
                ..
            } => {
                Self::break_stdout(&mut state);
                let line = if is_error {
                    let first = output.lines().next().unwrap_or("");
                    self.paint(
                        RED,
                        &format!("  ✗ {name} ({duration_ms} ms): {}", clip(first, 160)),
                    )
                } else {
                    self.paint(
                        DIM,
                        &format!(
                            "  ✓ {name} ({duration_ms} ms, {})",
                            human_bytes(output_bytes)
                        ),
                    )
                };
                let _ = writeln!(err, "{line}");
            }
            AgentEvent::Notice { level, message } => {
                Self::break_stdout(&mut state);
                self.end_reasoning(&mut state);
                let code = if level != NoticeLevel::Info {
                    YELLOW
                } else {
                    DIM
                };
                let _ = writeln!(err, "{}", self.paint(code, &format!("! {message}")));
            }
            AgentEvent::PermissionRequested {
                request_id,
                tool,
                summary,
                ..
            } => {
                Self::break_stdout(&mut state);
                self.end_reasoning(&mut state);
                let _ = writeln!(
                    err,
                    "{}",
                    self.paint(
                        YELLOW,
                        &format!(
                            "? {tool}: {summary} — waiting ({request_id}; see `boocode inbox`)"
                        )
                    )
                );
            }
            AgentEvent::PermissionResolved {
                request_id,
                decision,
            } => {
                let answer = serde_json::to_value(decision)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let _ = writeln!(
                    err,
                    "{}",
                    self.paint(DIM, &format!("  {request_id}: {answer}"))
                );
            }
            AgentEvent::TurnFinished {
                outcome,
                summary,
                usage,
            } => {
                Self::break_stdout(&mut state);
                self.end_reasoning(&mut state);
                match (outcome, summary) {
                    (TurnOutcome::Error, Some(message)) => {
                        let _ = writeln!(err, "{}", self.paint(RED, &format!("error: {message}")));
                    }
                    (TurnOutcome::Cancelled, _) => {
                        let _ = writeln!(err, "{}", self.paint(YELLOW, "cancelled"));
                    }
                    (_, Some(summary)) => {
                        let _ = writeln!(err, "{}", self.paint(YELLOW, &summary));
                    }
                    _ => {}
                }
                if outcome != TurnOutcome::Error {
                    let _ = writeln!(
                        err,
                        "{}",
                        self.paint(DIM, &self.usage_line(outcome, &usage, state.steps))
                    );
                }
            }
            _ => {}
        }
        let _ = err.flush();
    }
}

impl EventSink for Printer {
    fn emit(&self, event: AgentEvent) {
        match self.mode {
            Mode::Human => self.human(event),
            Mode::Json => {
                if let Ok(line) = serde_json::to_string(&event) {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{line}");
                    let _ = out.flush();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_shortened_for_one_line() {
        assert_eq!(
            short_args(r#"{"pattern":"fn main","path":"src"}"#),
            r#"pattern="fn main" path="src""#
        );
        assert_eq!(short_args(r#"{"n":3}"#), "n=3");
        assert_eq!(short_args("not json"), "not json");
        let long = format!(r#"{{"text":"{}"}}"#, "x".repeat(100));
        assert!(short_args(&long).ends_with("…\""));
    }
}
