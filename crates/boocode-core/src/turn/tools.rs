//! The tool phase of a step: deciding which calls run, running them, and recording results.

use crate::domain::Part;
use crate::event::AgentEvent;
use crate::model::ToolCallRequest;
use crate::sink::EventSink;
use crate::tool::{Tool, ToolContext, ToolError, ToolLimits, ToolSet};
use futures::future::join_all;
use std::sync::Arc;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// What became of one call.
#[derive(Debug, Clone)]
pub(crate) struct CallResult {
    pub(crate) content: String,
    pub(crate) is_error: bool,
    pub(crate) duration_ms: u64,
    /// The tool's own machinery failed; the turn must end.
    pub(crate) fatal: bool,
    /// The call was stopped by cancellation.
    pub(crate) aborted: bool,
}

impl CallResult {
    pub(crate) fn refused(content: String) -> Self {
        Self {
            content,
            is_error: true,
            duration_ms: 0,
            fatal: false,
            aborted: false,
        }
    }

    pub(crate) fn aborted() -> Self {
        Self {
            content: crate::repair::ABORTED_RESULT.to_owned(),
            is_error: true,
            duration_ms: 0,
            fatal: false,
            aborted: true,
        }
    }

    pub(crate) fn into_part(self, call: &ToolCallRequest) -> Part {
        Part::ToolResult {
            call_id: call.id.clone(),
            name: call.name.clone(),
            content: self.content,
            is_error: self.is_error,
            duration_ms: Some(self.duration_ms),
        }
    }
}

/// A call that passed budget and loop checks, ready to run.
pub(crate) struct Runnable<'a> {
    pub(crate) call: &'a ToolCallRequest,
    /// The tool and its parsed arguments, or the error to give the model instead.
    pub(crate) prepared: Result<(Arc<dyn Tool>, serde_json::Value), String>,
}

impl<'a> Runnable<'a> {
    pub(crate) fn prepare(call: &'a ToolCallRequest, tools: &ToolSet) -> Self {
        let prepared = match tools.get(&call.name) {
            None => {
                let names: Vec<&str> = tools.names().collect();
                Err(format!(
                    "unknown tool `{}`; available tools: {}",
                    call.name,
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                ))
            }
            Some(tool) => parse_arguments(&call.arguments).map(|args| (tool.clone(), args)),
        };
        Self { call, prepared }
    }

    fn read_only(&self) -> bool {
        match &self.prepared {
            Ok((tool, _)) => tool.read_only(),
            // A refusal touches nothing, so it may sit in a concurrent batch.
            Err(_) => true,
        }
    }
}

/// Parses the model's argument text. Empty text means no arguments.
fn parse_arguments(text: &str) -> Result<serde_json::Value, String> {
    if text.trim().is_empty() {
        return Ok(serde_json::Value::Object(serde_json::Map::new()));
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value @ serde_json::Value::Object(_)) => Ok(value),
        Ok(other) => Err(format!(
            "tool arguments must be a JSON object, got {}; send an object such as {{\"path\": \"...\"}}",
            match other {
                serde_json::Value::Array(_) => "an array",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Number(_) => "a number",
                serde_json::Value::Bool(_) => "a boolean",
                _ => "null",
            }
        )),
        Err(e) => Err(format!(
            "tool arguments are not valid JSON ({e}); resend the call with a valid JSON object"
        )),
    }
}

/// Runs the calls: consecutive read-only calls as one concurrent batch, every other call alone
/// and in order. Results come back in call order.
pub(crate) async fn run_calls(
    runnables: Vec<Runnable<'_>>,
    limits: ToolLimits,
    sink: &dyn EventSink,
    cancel: &CancellationToken,
) -> Vec<CallResult> {
    let mut results = Vec::with_capacity(runnables.len());
    let mut batch: Vec<Runnable<'_>> = Vec::new();
    for runnable in runnables {
        if runnable.read_only() {
            batch.push(runnable);
            continue;
        }
        results.extend(run_batch(std::mem::take(&mut batch), limits, sink, cancel).await);
        results.extend(run_batch(vec![runnable], limits, sink, cancel).await);
    }
    results.extend(run_batch(batch, limits, sink, cancel).await);
    results
}

async fn run_batch(
    batch: Vec<Runnable<'_>>,
    limits: ToolLimits,
    sink: &dyn EventSink,
    cancel: &CancellationToken,
) -> Vec<CallResult> {
    let futures = batch.into_iter().map(|r| async move {
        let result = run_one(&r, limits, cancel).await;
        sink.emit(AgentEvent::ToolCallFinished {
            call_id: r.call.id.clone(),
            name: r.call.name.clone(),
            output: result.content.clone(),
            is_error: result.is_error,
            duration_ms: result.duration_ms,
            output_bytes: result.content.len() as u64,
        });
        result
    });
    join_all(futures).await
}

async fn run_one(
    runnable: &Runnable<'_>,
    limits: ToolLimits,
    cancel: &CancellationToken,
) -> CallResult {
    let (tool, args) = match &runnable.prepared {
        Ok(prepared) => prepared,
        Err(message) => return CallResult::refused(message.clone()),
    };
    if cancel.is_cancelled() {
        return CallResult::aborted();
    }
    let ctx = ToolContext::new(runnable.call.id.clone())
        .cancel(cancel.child_token())
        .limits(limits);
    let started = Instant::now();
    let outcome = tokio::select! {
        biased;
        _ = cancel.cancelled() => None,
        r = tokio::time::timeout(limits.timeout, tool.execute(args.clone(), &ctx)) => Some(r),
    };
    // Tell a tool that outlived its turn (or its time) to stop.
    ctx.cancel.cancel();
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (content, is_error, fatal) = match outcome {
        None => return CallResult::aborted(),
        Some(Err(_elapsed)) => (
            format!(
                "tool `{}` timed out after {} s",
                runnable.call.name,
                limits.timeout.as_secs()
            ),
            true,
            false,
        ),
        Some(Ok(Ok(output))) => (output.content, false, false),
        Some(Ok(Err(ToolError::ToModel(message)))) => (message, true, false),
        Some(Ok(Err(ToolError::Fatal(message)))) => {
            tracing::error!(tool = %runnable.call.name, %message, "fatal tool error");
            (
                format!("tool `{}` failed: {message}", runnable.call.name),
                true,
                true,
            )
        }
    };
    CallResult {
        content,
        is_error,
        duration_ms,
        fatal,
        aborted: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_parsing_explains_what_is_wrong() {
        assert_eq!(parse_arguments("  ").unwrap(), serde_json::json!({}));
        assert!(
            parse_arguments(r#"{"a":"#)
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(parse_arguments("[1]").unwrap_err().contains("got an array"));
        assert_eq!(parse_arguments(r#"{"a":1}"#).unwrap()["a"], 1);
    }
}
