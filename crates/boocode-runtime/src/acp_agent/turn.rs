//! `session/prompt`: one turn of the chat, streamed back as updates; its edits settled with
//! the client (see `review`).

use std::collections::HashSet;
use std::sync::Arc;

use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{
    ContentBlock, EmbeddedResourceResource, PromptRequest, PromptResponse, SessionUpdate,
    StopReason, ToolCallContent, ToolCallUpdate, ToolCallUpdateFields,
};
use agent_client_protocol::{Client, Error as AcpError};
use boocode_core::{AgentEvent, ChangeQueue, ChangeScope, ChangeState, SessionFrame};
use tokio::sync::broadcast::error::RecvError;

use super::review::{Asked, is_write, put_to_client, root_of, tell_status};
use super::{Agentside, from_runtime, internal, invalid, notify, updates};

/// The largest prompt taken (text plus embedded files).
const MAX_PROMPT_BYTES: usize = 1024 * 1024;

impl Agentside {
    pub(super) async fn prompt(
        &self,
        r: PromptRequest,
        cx: &ConnectionTo<Client>,
    ) -> Result<PromptResponse, AcpError> {
        let chat_id = self.chat_of(&r.session_id)?;
        let text = prompt_text(&r.prompt)?;
        let runtime = &self.runtime;
        let chat = runtime.store.get_chat(chat_id).await.map_err(internal)?;
        // Subscribed before the turn starts, so no event of it is missed.
        let (mut frames, _) = runtime.broker.subscribe_session(chat.session_id);
        let started = crate::start_turn(runtime, chat_id, text)
            .await
            .map_err(from_runtime)?;
        let message_id = started.assistant_message.id;
        let mut seen: HashSet<String> = HashSet::new();
        let asked = Arc::new(Asked::default());
        let mut diffs: std::collections::HashMap<String, Vec<ToolCallContent>> =
            std::collections::HashMap::new();
        let root = root_of(runtime, chat_id).await?;
        let mut questions = tokio::task::JoinSet::new();
        let mut last_write_call: Option<String> = None;
        let outcome = loop {
            let frame = match frames.recv().await {
                Ok(frame) => frame,
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(
                        missed = n,
                        "the ACP client fell behind; {n} events were not forwarded"
                    );
                    continue;
                }
                Err(RecvError::Closed) => break None,
            };
            match &*frame {
                SessionFrame::Event {
                    chat_id: c,
                    message_id: m,
                    event,
                    ..
                } if *c == chat_id && *m == message_id => {
                    if let AgentEvent::ToolCallReady { call_id, name, .. } = event
                        && is_write(name)
                    {
                        last_write_call = Some(call_id.clone());
                    }
                    if let AgentEvent::ToolCallFinished {
                        call_id,
                        name,
                        output,
                        is_error,
                        ..
                    } = event
                    {
                        // A write call gets its status once its change is settled.
                        let status = asked.finish(call_id, name, *is_error);
                        let shown = diffs.get(call_id).cloned().unwrap_or_default();
                        notify(
                            cx,
                            &r.session_id,
                            updates::tool_result_with(call_id, shown, output, status),
                        )?;
                    } else if let Some(update) = updates::of_event(event) {
                        notify(cx, &r.session_id, update)?;
                    }
                    if let AgentEvent::TurnFinished {
                        outcome, summary, ..
                    } = event
                    {
                        break Some((*outcome, summary.clone()));
                    }
                }
                SessionFrame::ChangesChanged {
                    chat_id: c,
                    changes,
                } if *c == chat_id => {
                    let fresh: Vec<String> = changes
                        .iter()
                        .filter(|c| !seen.contains(&c.id))
                        .map(|c| c.id.clone())
                        .collect();
                    if fresh.is_empty() {
                        continue;
                    }
                    let all = ChangeQueue::list(&runtime.store, &ChangeScope(chat_id))
                        .await
                        .map_err(internal)?;
                    for change in all.into_iter().filter(|c| fresh.contains(&c.id)) {
                        seen.insert(change.id.clone());
                        let call = last_write_call
                            .clone()
                            .unwrap_or_else(|| format!("change-{}", change.id));
                        let shown = diffs.entry(call.clone()).or_default();
                        shown.push(updates::diff_of(&change, &root));
                        notify(
                            cx,
                            &r.session_id,
                            SessionUpdate::ToolCallUpdate(ToolCallUpdate::new(
                                call.clone(),
                                ToolCallUpdateFields::new().content(shown.clone()),
                            )),
                        )?;
                        if change.state != ChangeState::Pending {
                            tell_status(cx, &r.session_id, &call, asked.settled(&call))
                                .map_err(internal)?;
                        } else {
                            let (runtime, cx, session, diff) = (
                                self.runtime.clone(),
                                cx.clone(),
                                r.session_id.clone(),
                                shown.clone(),
                            );
                            asked.ask(&call);
                            let asked = asked.clone();
                            questions.spawn(async move {
                                put_to_client(&runtime, &cx, &session, change, &call, diff, &asked)
                                    .await
                            });
                        }
                    }
                }
                _ => {}
            }
        };
        // The runner lets go of the chat just after the turn's last event: wait for that, so
        // the client's next prompt finds the chat free.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while runtime.runner.is_running(chat_id) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        // Every question put to the client is answered before the turn is reported done.
        while let Some(done) = questions.join_next().await {
            if let Ok(Err(e)) = done {
                tracing::warn!(error = %e, "a proposed change could not be settled");
            }
        }
        for (call, status) in asked.unreported() {
            tell_status(cx, &r.session_id, &call, Some(status)).map_err(internal)?;
        }
        let Some((outcome, summary)) = outcome else {
            return Err(internal("the runtime stopped before the turn ended"));
        };
        use boocode_core::TurnOutcome as T;
        let stop = match outcome {
            T::Completed => StopReason::EndTurn,
            T::Cancelled => StopReason::Cancelled,
            T::StepCap | T::BudgetExhausted | T::DoomLoop => {
                if let Some(summary) = summary {
                    notify(
                        cx,
                        &r.session_id,
                        SessionUpdate::AgentMessageChunk(
                            agent_client_protocol::v1::schema::ContentChunk::new(
                                ContentBlock::from(format!("\n\n{summary}")),
                            ),
                        ),
                    )?;
                }
                StopReason::MaxTurnRequests
            }
            _ => {
                return Err(internal(summary.unwrap_or_else(|| {
                    format!("the turn ended: {}", outcome.as_str())
                })));
            }
        };
        Ok(PromptResponse::new(stop))
    }
}

/// The prompt as the text the model reads: text blocks as they are, embedded resources as
/// fenced files, links as `@path`. Images and audio are refused (the loop takes text).
fn prompt_text(blocks: &[ContentBlock]) -> Result<String, AcpError> {
    let mut out = String::new();
    for block in blocks {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        match block {
            ContentBlock::Text(t) => out.push_str(&t.text),
            ContentBlock::ResourceLink(link) => {
                out.push('@');
                out.push_str(link.uri.strip_prefix("file://").unwrap_or(&link.uri));
            }
            ContentBlock::Resource(r) => match &r.resource {
                EmbeddedResourceResource::TextResourceContents(t) => {
                    let name = t.uri.strip_prefix("file://").unwrap_or(&t.uri);
                    out.push_str(&format!("{name}:\n```\n{}\n```", t.text));
                }
                _ => return Err(invalid("binary resources are not supported; send text")),
            },
            _ => {
                return Err(invalid(
                    "BooCode's loop takes text: send text, resource links or text resources",
                ));
            }
        }
    }
    if out.trim().is_empty() {
        return Err(invalid("the prompt is empty"));
    }
    if out.len() > MAX_PROMPT_BYTES {
        return Err(invalid(format!(
            "the prompt is {} bytes; at most {MAX_PROMPT_BYTES} are taken",
            out.len()
        )));
    }
    Ok(out)
}
