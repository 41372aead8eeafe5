//! Edits settled with the client: in review mode each proposed change is put to it with
//! `session/request_permission`, and every write call is reported finished once.

use std::path::PathBuf;
use std::sync::Mutex;

use agent_client_protocol::v1::ConnectionTo;
use agent_client_protocol::v1::schema::{
    PermissionOption, PermissionOptionKind, RequestPermissionOutcome, RequestPermissionRequest,
    SessionId, SessionUpdate, ToolCallContent, ToolCallStatus, ToolCallUpdate,
    ToolCallUpdateFields, ToolKind,
};
use agent_client_protocol::{Client, Error as AcpError};
use boocode_core::{ChangeScope, ChatId, PendingChange};
use boocode_tools::{PathGuard, ToolEnv};

use super::{internal, lock, notify};
use crate::Runtime;

/// Puts one proposed change to the client (`session/request_permission`, its diff attached)
/// and carries out the answer: allowed → applied through the guards, rejected → rejected,
/// no answer → left pending. The tool call's status then says which.
pub(super) async fn put_to_client(
    runtime: &Runtime,
    cx: &ConnectionTo<Client>,
    session: &SessionId,
    change: PendingChange,
    call_id: &str,
    diff: Vec<ToolCallContent>,
    asked: &Asked,
) -> Result<(), String> {
    let title = match change.proposed_content {
        None => format!("Delete {}", change.path),
        Some(_) if change.base_content.is_none() => format!("Create {}", change.path),
        Some(_) => format!("Edit {}", change.path),
    };
    let fields = ToolCallUpdateFields::new()
        .title(title)
        .kind(ToolKind::Edit)
        .status(ToolCallStatus::Pending)
        .content(diff);
    let request = RequestPermissionRequest::new(
        session.clone(),
        ToolCallUpdate::new(call_id.to_owned(), fields),
        vec![
            PermissionOption::new("apply", "Apply", PermissionOptionKind::AllowOnce),
            PermissionOption::new("reject", "Reject", PermissionOptionKind::RejectOnce),
        ],
    );
    let answer = cx
        .send_request(request)
        .block_task()
        .await
        .map_err(|e| e.to_string())?;
    let RequestPermissionOutcome::Selected(chosen) = answer.outcome else {
        // Unanswered: the edit stays proposed, in the chat's pending changes.
        return tell_status(cx, session, call_id, asked.answered(call_id, false));
    };
    let chat_id = change.chat_id;
    let scope = ChangeScope(chat_id);
    let ids = [change.id.clone()];
    let root = root_of(runtime, chat_id).await.map_err(|e| e.to_string())?;
    let env = ToolEnv::new(PathGuard::new(&root).map_err(|e| e.to_string())?);
    let refused = if chosen.option_id.0.as_ref() == "apply" {
        let report = boocode_tools::apply_pending(&env, &runtime.store, &scope, Some(&ids))
            .await
            .map_err(|e| e.to_string())?;
        for refused in &report.refused {
            tracing::warn!(path = %refused.path, reason = %refused.reason, "an allowed change was refused");
        }
        report.done.is_empty()
    } else {
        boocode_tools::reject_pending(&root, &runtime.store, &scope, Some(&ids))
            .await
            .map_err(|e| e.to_string())?;
        true
    };
    crate::publish_changes(runtime, chat_id).await;
    tell_status(cx, session, call_id, asked.answered(call_id, refused))
}

pub(super) fn tell_status(
    cx: &ConnectionTo<Client>,
    session: &SessionId,
    call_id: &str,
    status: Option<ToolCallStatus>,
) -> Result<(), String> {
    let Some(status) = status else {
        return Ok(());
    };
    notify(
        cx,
        session,
        SessionUpdate::ToolCallUpdate(ToolCallUpdate::new(
            call_id.to_owned(),
            ToolCallUpdateFields::new().status(status),
        )),
    )
    .map_err(|e| e.to_string())
}

/// The directory a chat works in: its worktree, else its project's root.
pub(super) async fn root_of(runtime: &Runtime, chat_id: ChatId) -> Result<PathBuf, AcpError> {
    runtime.chat_root(chat_id).await.map_err(internal)
}

/// The native write tools: each successful call proposes (or, in auto-apply, writes) one change.
pub(super) fn is_write(tool: &str) -> bool {
    matches!(tool, "create_file" | "edit_file" | "delete_file")
}

/// The final status of write calls. A write call's change is announced just after the tool
/// returns, and in review mode is then put to the client; the call is reported finished once,
/// when its change is settled (applied, refused or left pending), failed if refused.
#[derive(Default)]
pub(super) struct Asked(Mutex<std::collections::HashMap<String, AskedCall>>);

#[derive(Default)]
struct AskedCall {
    outstanding: usize,
    refused: bool,
    /// The tool returned (whether with an error).
    finished: Option<bool>,
    reported: bool,
}

impl AskedCall {
    /// The status to report now, once.
    fn report(&mut self) -> Option<ToolCallStatus> {
        let is_error = self.finished?;
        if self.reported || self.outstanding > 0 {
            return None;
        }
        self.reported = true;
        Some(if self.refused || is_error {
            ToolCallStatus::Failed
        } else {
            ToolCallStatus::Completed
        })
    }
}

impl Asked {
    pub(super) fn ask(&self, call: &str) {
        lock(&self.0)
            .entry(call.to_owned())
            .or_default()
            .outstanding += 1;
    }

    /// The tool returned: the status to report with its result, or `None` while its change is
    /// still to come or to be answered.
    pub(super) fn finish(&self, call: &str, tool: &str, is_error: bool) -> Option<ToolCallStatus> {
        let mut calls = lock(&self.0);
        let c = calls.entry(call.to_owned()).or_default();
        c.finished = Some(is_error);
        if is_write(tool) && !is_error && c.outstanding == 0 {
            // Its change is announced next.
            return None;
        }
        c.report()
    }

    /// The call's change was written without a question (auto-apply) or is settled.
    pub(super) fn settled(&self, call: &str) -> Option<ToolCallStatus> {
        lock(&self.0).get_mut(call).and_then(AskedCall::report)
    }

    /// A question was answered.
    pub(super) fn answered(&self, call: &str, refused: bool) -> Option<ToolCallStatus> {
        let mut calls = lock(&self.0);
        let c = calls.entry(call.to_owned()).or_default();
        c.outstanding = c.outstanding.saturating_sub(1);
        c.refused |= refused;
        c.report()
    }

    /// At the end of the turn: every call that returned and was not reported yet.
    pub(super) fn unreported(&self) -> Vec<(String, ToolCallStatus)> {
        lock(&self.0)
            .iter_mut()
            .filter_map(|(call, c)| c.report().map(|s| (call.clone(), s)))
            .collect()
    }
}
