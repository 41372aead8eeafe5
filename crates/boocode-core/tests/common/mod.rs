//! Shared fixtures for the loop tests: real tools, the real HTTP client, the scripted server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub,
    dead_code
)]
use boocode_core::{
    AgentEvent, CancellationToken, CollectSink, Message, ToolContext, ToolError, ToolOutput,
    ToolSet, TurnConfig, TurnLimits, TurnResult, TypedTool, run_turn,
};
use boocode_inference::{OpenAiClient, OpenAiConfig, RetryPolicy};
use boocode_testkit::ScriptedOpenAi;
use serde::Deserialize;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A client for the scripted server with fast retries.
pub fn client(server: &ScriptedOpenAi) -> OpenAiClient {
    let mut config = OpenAiConfig::new(server.url());
    config.model = Some("scripted".into());
    config.retry = RetryPolicy::default()
        .max_retries(2)
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(20));
    config.idle_timeout = Duration::from_secs(10);
    OpenAiClient::new(config).unwrap()
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct PatternArgs {
    /// A pattern.
    pub pattern: String,
}

/// A read-only tool that answers with what it was asked.
pub struct Grep;

#[async_trait::async_trait]
impl TypedTool for Grep {
    type Args = PatternArgs;
    const NAME: &'static str = "grep";
    const READ_ONLY: bool = true;
    fn description(&self) -> &str {
        "Searches for a pattern."
    }
    async fn call(&self, args: PatternArgs, _ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        Ok(ToolOutput::new(format!("match for {}", args.pattern)))
    }
}

/// A read-only tool that waits at a shared barrier: two calls only finish if they run at once.
pub struct Rendezvous(pub Arc<tokio::sync::Barrier>);

#[async_trait::async_trait]
impl TypedTool for Rendezvous {
    type Args = PatternArgs;
    const NAME: &'static str = "rendezvous";
    const READ_ONLY: bool = true;
    fn description(&self) -> &str {
        "Waits for a partner call."
    }
    async fn call(&self, args: PatternArgs, _ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        tokio::time::timeout(Duration::from_secs(5), self.0.wait())
            .await
            .map_err(|_| ToolError::to_model("no partner arrived: calls ran one at a time"))?;
        Ok(ToolOutput::new(format!("met {}", args.pattern)))
    }
}

/// A writing tool that logs when each call starts and ends.
pub struct Write(pub Arc<Mutex<Vec<String>>>);

#[async_trait::async_trait]
impl TypedTool for Write {
    type Args = PatternArgs;
    const NAME: &'static str = "write";
    const READ_ONLY: bool = false;
    fn description(&self) -> &str {
        "Writes something."
    }
    async fn call(&self, args: PatternArgs, _ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        self.0
            .lock()
            .unwrap()
            .push(format!("start {}", args.pattern));
        tokio::time::sleep(Duration::from_millis(30)).await;
        self.0.lock().unwrap().push(format!("end {}", args.pattern));
        Ok(ToolOutput::new("written"))
    }
}

/// A tool that never returns unless cancelled.
pub struct Hang;

#[async_trait::async_trait]
impl TypedTool for Hang {
    type Args = PatternArgs;
    const NAME: &'static str = "hang";
    const READ_ONLY: bool = true;
    fn description(&self) -> &str {
        "Waits forever."
    }
    async fn call(&self, _args: PatternArgs, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        ctx.cancel.cancelled().await;
        Err(ToolError::to_model("stopped"))
    }
}

/// A tool whose machinery is broken.
pub struct Broken;

#[async_trait::async_trait]
impl TypedTool for Broken {
    type Args = PatternArgs;
    const NAME: &'static str = "broken";
    const READ_ONLY: bool = true;
    fn description(&self) -> &str {
        "Always fails fatally."
    }
    async fn call(&self, _args: PatternArgs, _ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        Err(ToolError::Fatal("the index database is gone".into()))
    }
}

pub fn tools() -> ToolSet {
    ToolSet::new().with(Grep)
}

pub fn config(tools: &ToolSet) -> TurnConfig {
    TurnConfig::default()
        .limits(TurnLimits::for_agent(None, tools))
        .ctx_max(8192)
}

/// Runs one turn on `history` and returns its result and events.
pub async fn turn(
    server: &ScriptedOpenAi,
    tools: &ToolSet,
    config: &TurnConfig,
    history: &[Message],
) -> (TurnResult, Vec<AgentEvent>) {
    let sink = CollectSink::new();
    let result = run_turn(
        &client(server),
        tools,
        history,
        config,
        &sink,
        &CancellationToken::new(),
    )
    .await;
    let events = sink.events();
    // Every turn the loop runs keeps the turn grammar, whatever way it ends.
    if let Err(e) = boocode_core::check_turn(&events) {
        panic!("{e}\n{events:#?}");
    }
    (result, events)
}

/// The event sequence as readable lines, without timings and random ids.
pub fn render(events: &[AgentEvent]) -> String {
    if let Err(e) = boocode_core::check_turn(events) {
        panic!("{e}\n{events:#?}");
    }
    let mut out = String::new();
    for event in events {
        let line = match event {
            AgentEvent::TurnStarted { .. } => "turn_started".to_owned(),
            AgentEvent::StepStarted { step } => format!("step_started {step}"),
            AgentEvent::TextDelta { text } => format!("text {text:?}"),
            AgentEvent::ReasoningDelta { text } => format!("reasoning {text:?}"),
            AgentEvent::ToolCallStarted { call_id, name } => {
                format!("call_started {} {name}", id(call_id))
            }
            AgentEvent::ToolCallArgsDelta { call_id, delta } => {
                format!("call_args {} {delta:?}", id(call_id))
            }
            AgentEvent::ToolCallReady {
                call_id,
                name,
                arguments,
            } => format!("call_ready {} {name} {arguments:?}", id(call_id)),
            AgentEvent::ToolCallFinished {
                call_id,
                name,
                output,
                is_error,
                ..
            } => format!(
                "call_finished {} {name} {} {output:?}",
                id(call_id),
                if *is_error { "error" } else { "ok" }
            ),
            AgentEvent::Usage { usage } => format!(
                "usage prompt={} completion={} ctx={}/{:?}",
                usage.prompt_tokens, usage.completion_tokens, usage.ctx_used, usage.ctx_max
            ),
            AgentEvent::Status { status } => format!("status {status:?}"),
            AgentEvent::Notice { level, message } => format!("notice {level:?} {message:?}"),
            AgentEvent::StepFinished {
                step,
                finish_reason,
            } => format!("step_finished {step} {finish_reason:?}"),
            AgentEvent::TurnFinished {
                outcome,
                summary,
                usage,
            } => format!(
                "turn_finished {} summary={summary:?} prompt={} completion={}",
                outcome.as_str(),
                usage.prompt_tokens,
                usage.completion_tokens
            ),
            other => format!("{other:?}"),
        };
        let _ = writeln!(out, "{line}");
    }
    out
}

/// Synthetic ids are random; scripted ones are kept.
fn id(call_id: &str) -> &str {
    if call_id.starts_with("call_") && call_id.len() > 20 {
        "<synthetic>"
    } else {
        call_id
    }
}

/// The roles and tool-call ids of a recorded request's messages, one line each.
pub fn request_shape(messages: &[serde_json::Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| {
            let role = m["role"].as_str().unwrap_or("?");
            match role {
                "tool" => format!(
                    "tool {} {}",
                    m["tool_call_id"].as_str().unwrap_or("?"),
                    m["content"].as_str().unwrap_or("")
                ),
                "assistant" => {
                    let calls: Vec<&str> = m["tool_calls"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|c| c["id"].as_str())
                        .collect();
                    format!(
                        "assistant {:?} calls={calls:?}",
                        m["content"].as_str().unwrap_or("")
                    )
                }
                _ => format!("{role} {:?}", m["content"].as_str().unwrap_or("")),
            }
        })
        .collect()
}
