//! TypeScript declarations of the types front-ends receive, generated from the Rust types.

use crate::protocol::{
    AgentInfo, ChangeReport, ChangeSelection, ChangeView, DirEntry, DirListing, EndpointProbe,
    EndpointSettings, EndpointView, FileContent, InboxAnswer, InboxItem, InboxState, MessagesPage,
    ModelEntry, ModelList, NewChat, NewTerminal, NewWorktree, PostMessage, Posted, ProviderInfo,
    ProviderState, Refusal, SessionCreated, SessionView, SetupState, StartedTurn, SteeringMessage,
    TerminalControl, TerminalExit, TerminalInfo, ToolStat, ToolStatsReport, WorktreeCopy,
};
use crate::{
    AgentEvent, Chat, ChatMode, ChatStatus, FinishReason, Message, MessageKind, MessageStatus,
    NoticeLevel, Part, PermissionDecision, PlanEntry, Project, ProjectSettings, QueuedMessage,
    Role, Session, SessionFrame, Thinking, ToolTier, TurnOutcome, Usage, UserFrame,
};
use crate::{ChangeState, ChatId, MessageId, ProjectId, SessionId};
use ts_rs::{Config, TS};

/// The contents of `web/src/generated/types.ts`: every type that crosses to the front-end, as
/// exported TypeScript declarations, in a stable order.
pub fn typescript_bindings() -> String {
    let cfg = Config::new().with_large_int("number");
    let decls = [
        ProjectId::decl(&cfg),
        SessionId::decl(&cfg),
        ChatId::decl(&cfg),
        MessageId::decl(&cfg),
        Project::decl(&cfg),
        Session::decl(&cfg),
        ChatMode::decl(&cfg),
        Thinking::decl(&cfg),
        ToolTier::decl(&cfg),
        ProjectSettings::decl(&cfg),
        Chat::decl(&cfg),
        Role::decl(&cfg),
        MessageStatus::decl(&cfg),
        MessageKind::decl(&cfg),
        Part::decl(&cfg),
        Usage::decl(&cfg),
        Message::decl(&cfg),
        TurnOutcome::decl(&cfg),
        FinishReason::decl(&cfg),
        ChatStatus::decl(&cfg),
        NoticeLevel::decl(&cfg),
        PermissionDecision::decl(&cfg),
        PlanEntry::decl(&cfg),
        AgentEvent::decl(&cfg),
        QueuedMessage::decl(&cfg),
        SessionFrame::decl(&cfg),
        UserFrame::decl(&cfg),
        ChangeState::decl(&cfg),
        ChangeView::decl(&cfg),
        Refusal::decl(&cfg),
        ChangeReport::decl(&cfg),
        ChangeSelection::decl(&cfg),
        InboxState::decl(&cfg),
        InboxItem::decl(&cfg),
        InboxAnswer::decl(&cfg),
        NewChat::decl(&cfg),
        crate::arena::NewArena::decl(&cfg),
        crate::arena::NewContender::decl(&cfg),
        crate::arena::ContenderState::decl(&cfg),
        crate::arena::Contender::decl(&cfg),
        crate::arena::Arena::decl(&cfg),
        crate::arena::PickContender::decl(&cfg),
        crate::arena::LeaderboardRow::decl(&cfg),
        crate::delegation::DelegateResult::decl(&cfg),
        crate::delegation::ChangedFile::decl(&cfg),
        crate::delegation::VerifyResult::decl(&cfg),
        crate::delegation::MergedChild::decl(&cfg),
        crate::skill::SkillInfo::decl(&cfg),
        crate::skill::SkillList::decl(&cfg),
        NewWorktree::decl(&cfg),
        WorktreeCopy::decl(&cfg),
        PostMessage::decl(&cfg),
        SessionCreated::decl(&cfg),
        SessionView::decl(&cfg),
        StartedTurn::decl(&cfg),
        SteeringMessage::decl(&cfg),
        Posted::decl(&cfg),
        MessagesPage::decl(&cfg),
        DirEntry::decl(&cfg),
        DirListing::decl(&cfg),
        FileContent::decl(&cfg),
        ModelEntry::decl(&cfg),
        ModelList::decl(&cfg),
        ProviderState::decl(&cfg),
        ProviderInfo::decl(&cfg),
        EndpointView::decl(&cfg),
        AgentInfo::decl(&cfg),
        NewTerminal::decl(&cfg),
        TerminalInfo::decl(&cfg),
        TerminalExit::decl(&cfg),
        TerminalControl::decl(&cfg),
        EndpointProbe::decl(&cfg),
        SetupState::decl(&cfg),
        EndpointSettings::decl(&cfg),
        ToolStat::decl(&cfg),
        ToolStatsReport::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types in boocode-core. Do not edit by hand.\n\
         // Regenerate: UPDATE_TYPES=1 cargo test -p boocode-core --test generated_types\n\n",
    );
    for decl in decls {
        out.push_str("export ");
        out.push_str(&decl);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
