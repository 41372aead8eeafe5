//! Where a turn meets its hooks: before the prompt reaches the model, around each tool call,
//! and when the model is done. Every run is a notice in the message.

use super::Turn;
use super::tools::{CallResult, Runnable};
use crate::domain::Role;
use crate::event::{NoticeLevel, TurnOutcome};
use crate::hook::{HookDecision, HookEvent, HookInput, HookOutcome};
use crate::model::ToolCallRequest;

impl Turn<'_> {
    /// Runs `input`'s hooks (none configured: an empty outcome) and shows each run.
    async fn hook(&mut self, input: HookInput) -> HookOutcome {
        let Some(hooks) = self.config.hooks.clone() else {
            return HookOutcome::default();
        };
        let outcome = hooks.run(input, self.cancel).await;
        for run in &outcome.runs {
            let (level, message) = run.notice();
            self.notice(level, &message);
        }
        outcome
    }

    /// `SessionStart` on a chat's first turn, then `UserPromptSubmit`. Returns the turn's end
    /// when a hook blocks the prompt (the model is never asked).
    pub(super) async fn opening_hooks(&mut self) -> Option<(TurnOutcome, Option<String>)> {
        self.config.hooks.as_ref()?;
        let mut context = Vec::new();
        if self.history.iter().all(|m| m.role == Role::User) {
            let started = self.hook(HookInput::session_start("startup")).await;
            context.extend(started.context_text());
        }
        let prompt = self
            .history
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(crate::Message::text)
            .unwrap_or_default();
        let submitted = self.hook(HookInput::prompt(&prompt)).await;
        if submitted.decision == HookDecision::Deny || submitted.stop_turn.is_some() {
            let reason = submitted
                .stop_turn
                .clone()
                .unwrap_or_else(|| submitted.reason_or("no reason given"));
            self.notice(
                NoticeLevel::Warning,
                &format!("A UserPromptSubmit hook blocked this prompt: {reason}"),
            );
            return Some((TurnOutcome::Completed, None));
        }
        context.extend(submitted.context_text());
        if !context.is_empty() {
            self.prompt_context = Some(context.join("\n"));
        }
        None
    }

    /// `Stop`: the reason to go on when a hook keeps the turn going.
    pub(super) async fn stop_hook(&mut self) -> Option<String> {
        self.config.hooks.as_ref()?;
        let outcome = self.hook(HookInput::stop(self.stop_continued > 0)).await;
        if outcome.decision != HookDecision::Deny || outcome.stop_turn.is_some() {
            return None;
        }
        self.stop_continued += 1;
        Some(outcome.reason_or("a Stop hook asked you to continue"))
    }

    /// `PreToolUse` for each call about to run: a denial becomes the call's error result, an
    /// ask goes to `PermissionRequest` hooks and then a person, new arguments replace the
    /// model's. Returns a reason when a hook stopped the whole turn.
    pub(super) async fn pre_tool_hooks(&mut self, runnable: &mut [Runnable<'_>]) -> Option<String> {
        self.config.hooks.as_ref()?;
        let mut stop = None;
        for r in runnable.iter_mut() {
            let Ok((tool, args)) = &r.prepared else {
                continue;
            };
            let (tool, mut args) = (tool.clone(), args.clone());
            let call = r.call;
            if stop.is_some() {
                r.prepared = Err("not run: a hook stopped the turn".into());
                continue;
            }
            let outcome = self
                .hook(HookInput::tool(
                    HookEvent::PreToolUse,
                    &call.name,
                    args.clone(),
                    Some(&call.id),
                ))
                .await;
            if let Some(reason) = &outcome.stop_turn {
                stop = Some(reason.clone());
                r.prepared = Err(format!("blocked by a PreToolUse hook: {reason}"));
                continue;
            }
            let verdict = match outcome.decision {
                HookDecision::Deny => Err(format!(
                    "blocked by a PreToolUse hook: {}",
                    outcome.reason_or("no reason given")
                )),
                HookDecision::Ask => self.ask(call, &args, &outcome).await,
                HookDecision::Allow | HookDecision::None => Ok(outcome.updated_input.clone()),
            };
            match verdict {
                Err(message) => r.prepared = Err(message),
                Ok(Some(updated)) if updated.is_object() => {
                    self.notice(
                        NoticeLevel::Info,
                        &format!("hook rewrote the arguments of {}: {updated}", call.name),
                    );
                    args = updated;
                    r.prepared = Ok((tool, args));
                }
                Ok(Some(other)) => {
                    r.prepared = Err(format!(
                        "not run: a hook gave arguments that are not a JSON object ({other})"
                    ));
                }
                Ok(None) => {}
            }
        }
        stop
    }

    /// A call a `PreToolUse` hook wants confirmed: `PermissionRequest` hooks may answer, else
    /// the user is notified and asked through the approver. `Ok` carries new arguments.
    async fn ask(
        &mut self,
        call: &ToolCallRequest,
        args: &serde_json::Value,
        pre: &HookOutcome,
    ) -> Result<Option<serde_json::Value>, String> {
        let args = pre.updated_input.clone().unwrap_or_else(|| args.clone());
        let answered = self
            .hook(HookInput::tool(
                HookEvent::PermissionRequest,
                &call.name,
                args.clone(),
                Some(&call.id),
            ))
            .await;
        match answered.decision {
            HookDecision::Allow => {
                return Ok(Some(answered.updated_input.clone().unwrap_or(args)));
            }
            HookDecision::Deny => {
                return Err(format!(
                    "denied by a PermissionRequest hook: {}",
                    answered.reason_or("no reason given")
                ));
            }
            _ => {}
        }
        let Some(approver) = self.config.approver.clone() else {
            return Err(format!(
                "not run: a hook wants this call confirmed ({}) and no one can be asked here",
                pre.reason_or("no reason given")
            ));
        };
        let summary = format!(
            "{} {} — {}",
            call.name,
            args,
            pre.reason_or("a hook asks for confirmation")
        );
        self.hook(HookInput::notification(
            &format!("BooCode needs your permission to use {}", call.name),
            "permission_prompt",
        ))
        .await;
        if approver
            .approve(self.sink, Some(call.id.clone()), &call.name, &args, summary)
            .await
        {
            Ok(Some(args))
        } else {
            Err("denied by the user".into())
        }
    }

    /// `PostToolUse` for each call that ran: a hook's reason (a block) or context is added to
    /// the result the model sees.
    pub(super) async fn post_tool_hooks(
        &mut self,
        calls: &[ToolCallRequest],
        ran_with: &[Option<serde_json::Value>],
        results: &mut [CallResult],
    ) {
        if self.config.hooks.is_none() {
            return;
        }
        for ((call, args), result) in calls.iter().zip(ran_with).zip(results.iter_mut()) {
            let Some(args) = args else {
                continue;
            };
            if result.aborted || result.fatal {
                continue;
            }
            let outcome = self
                .hook(HookInput::post_tool(
                    &call.name,
                    args.clone(),
                    Some(&call.id),
                    &result.content,
                    result.is_error,
                ))
                .await;
            let mut feedback = Vec::new();
            if outcome.decision == HookDecision::Deny {
                feedback.push(outcome.reason_or("a PostToolUse hook objected"));
            }
            feedback.extend(outcome.context_text());
            if !feedback.is_empty() {
                result.content.push_str(&format!(
                    "\n\n<hook-feedback>\n{}\n</hook-feedback>",
                    feedback.join("\n")
                ));
            }
        }
    }
}
