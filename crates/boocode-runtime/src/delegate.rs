//! Boomerang delegation: the `delegate` tool lets a native chat whose agent definition lists
//! it hand a subtask to a child chat — BooCode's own loop or any external agent, linked to the
//! parent (`Chat::parent`) — and get the child's answer, outcome, changed files and verify
//! result back as the tool result. A child that writes works in a worktree of its own (auto
//! apply there), so children running side by side never collide and the main tree is
//! untouched; its changes reach the parent's review queue only through
//! [`Runtime::merge_child`], under the same rules as an arena winner. A read-only child works
//! in `ask` mode on the main tree.
//!
//! Calls in one step run side by side (the tool is read-only for the parent), up to
//! [`DelegationLimits::max_parallel`](crate::DelegationLimits) at once; stopping the parent's
//! turn stops its children and closes their agents' processes; the depth, child-count and
//! token/cost budgets end delegation with a `delegation stopped` sentinel.

use crate::error::RuntimeError;
use crate::runner::lock;
use crate::state::Runtime;
use boocode_core::delegation::{ChangedFile, DelegateResult, MergedChild, VerifyResult};
use boocode_core::{
    ChatId, ChatMode, MessageKind, NATIVE_PROVIDER, Role, ToolContext, ToolError, ToolOutput,
    TypedTool,
};
use boocode_worktree::WorktreeOptions;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The tool's name, as agent definitions list it.
pub const DELEGATE_TOOL: &str = "delegate";
/// The longest prompt (with acceptance criteria) a child may be given.
const MAX_PROMPT_BYTES: usize = 64 * 1024;
/// The longest verify command.
const MAX_VERIFY_BYTES: usize = 4096;
/// How much of the child's answer the parent's model is given (its start).
const MAX_ANSWER_BYTES: usize = 16 * 1024;
/// How often a running child is looked at.
const POLL: Duration = Duration::from_millis(100);

/// What one delegation tree has spent, shared by the turn that first delegated and every
/// descendant it started.
#[derive(Debug)]
pub(crate) struct Budget {
    spent: Mutex<Spent>,
    parallel: Arc<tokio::sync::Semaphore>,
}

#[derive(Debug, Default)]
struct Spent {
    children: u32,
    tokens: u64,
    cost_usd: f64,
}

impl Budget {
    fn new(parallel: usize) -> Self {
        Self {
            spent: Mutex::new(Spent::default()),
            parallel: Arc::new(tokio::sync::Semaphore::new(parallel.max(1))),
        }
    }

    /// Counts one more child, or says which budget is spent (spending first: it is the one a
    /// new child would make worse).
    fn reserve(&self, limits: &crate::DelegationLimits) -> Result<(), String> {
        let mut spent = lock(&self.spent);
        if let Some(max) = limits.max_tokens
            && spent.tokens >= max
        {
            return Err(format!(
                "token budget spent ({} of {max} tokens used by children)",
                spent.tokens
            ));
        }
        if let Some(max) = limits.max_cost_usd
            && spent.cost_usd >= max
        {
            return Err(format!(
                "cost budget spent (${:.4} of ${max:.4} used by children)",
                spent.cost_usd
            ));
        }
        if spent.children >= limits.max_children {
            return Err(format!(
                "max children reached ({} started, the most one delegation may start)",
                spent.children
            ));
        }
        spent.children += 1;
        Ok(())
    }

    fn spend(&self, tokens: u64, cost_usd: Option<f64>) {
        let mut spent = lock(&self.spent);
        spent.tokens += tokens;
        spent.cost_usd += cost_usd.unwrap_or(0.0);
    }
}

/// The delegation trees children belong to, so a child's own delegations spend its tree's
/// budget.
#[derive(Debug, Default)]
pub(crate) struct Delegations {
    trees: Mutex<HashMap<ChatId, Arc<Budget>>>,
}

impl Delegations {
    /// The budget chat `chat` delegates under: its tree's when it is a running child, else a
    /// new tree's.
    pub(crate) fn budget_for(&self, chat: ChatId, parallel: usize) -> Arc<Budget> {
        lock(&self.trees)
            .get(&chat)
            .cloned()
            .unwrap_or_else(|| Arc::new(Budget::new(parallel)))
    }

    fn join(&self, child: ChatId, budget: Arc<Budget>) {
        lock(&self.trees).insert(child, budget);
    }

    fn leave(&self, child: ChatId) {
        lock(&self.trees).remove(&child);
    }
}

/// The `delegate` tool's arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DelegateArgs {
    /// The subtask, as complete as a colleague would need it: the child sees nothing of
    /// this conversation.
    pub prompt: String,
    /// Who runs the child: `boocode` (BooCode's own loop, the default) or an external agent
    /// such as `claude-acp` or `opencode`.
    #[serde(default)]
    pub provider: Option<String>,
    /// The model, when not the provider's default.
    #[serde(default)]
    pub model: Option<String>,
    /// What the result must satisfy; given to the child with the prompt.
    #[serde(default)]
    pub acceptance_criteria: Option<String>,
    /// Whether the child changes files. A writing child works in its own isolated copy of
    /// the project; its changes reach your review queue only when a person merges them.
    #[serde(default)]
    pub writes: bool,
    /// A command run in the child's workspace after it finishes (say `cargo test`); its exit
    /// code is reported as the verify result. Only commands the user allows run.
    #[serde(default)]
    pub verify: Option<String>,
    /// An agent definition for a BooCode child (its tools, step cap and prompt).
    #[serde(default)]
    pub agent: Option<String>,
}

/// The `delegate` tool of one native turn.
pub(crate) struct DelegateTool {
    state: Runtime,
    parent: ChatId,
    /// How many delegations deep the parent is (0 for a chat nobody delegated).
    depth: u32,
    budget: Arc<Budget>,
}

impl DelegateTool {
    /// The tool for a turn of chat `parent`, `depth` delegations deep.
    pub(crate) fn new(state: Runtime, parent: ChatId, depth: u32) -> Self {
        let budget = state
            .delegations
            .budget_for(parent, state.config.delegation.max_parallel);
        Self {
            state,
            parent,
            depth,
            budget,
        }
    }
}

/// How many delegations deep chat `id` is (its ancestors), counting at most `cap`.
pub(crate) async fn depth_of(state: &Runtime, id: ChatId, cap: u32) -> u32 {
    let mut depth = 0;
    let mut at = id;
    while depth <= cap {
        match state.store.get_chat(at).await {
            Ok(chat) => match chat.parent {
                Some(parent) => {
                    depth += 1;
                    at = parent;
                }
                None => break,
            },
            Err(_) => break,
        }
    }
    depth
}

fn stopped(why: &str) -> ToolError {
    ToolError::ToModel(format!(
        "delegation stopped: {why}. No child was started; do this part yourself or answer with what you have."
    ))
}

#[async_trait::async_trait]
impl TypedTool for DelegateTool {
    type Args = DelegateArgs;
    const NAME: &'static str = DELEGATE_TOOL;
    // It changes nothing the parent sees (a writing child works in its own worktree), so a
    // step's delegations run side by side.
    const READ_ONLY: bool = true;

    fn description(&self) -> &str {
        "Hand a subtask to another agent in a new child chat and wait for its result: its final \
         answer, outcome, the files it changed and the verify command's exit code. Give a \
         complete prompt (the child sees nothing of this chat) and, for work that edits files, \
         writes: true — the child then works in its own copy of the project, and its changes \
         reach the review queue only when a person merges them. Several delegate calls in one \
         step run in parallel, so split independent work into separate calls."
    }

    async fn call(&self, args: DelegateArgs, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let limits = &self.state.config.delegation;
        let mut prompt = args.prompt.trim().to_owned();
        if prompt.is_empty() {
            return Err(ToolError::ToModel(
                "give the child a prompt: the subtask, complete".into(),
            ));
        }
        if let Some(criteria) = args
            .acceptance_criteria
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            prompt.push_str("\n\nAcceptance criteria:\n");
            prompt.push_str(criteria);
        }
        if prompt.len() > MAX_PROMPT_BYTES {
            return Err(ToolError::ToModel(format!(
                "the prompt is {} bytes; keep it under {MAX_PROMPT_BYTES}",
                prompt.len()
            )));
        }
        let verify = args
            .verify
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty());
        if verify.is_some_and(|v| v.len() > MAX_VERIFY_BYTES) {
            return Err(ToolError::ToModel(format!(
                "the verify command is longer than {MAX_VERIFY_BYTES} bytes"
            )));
        }
        // A verify command is a shell command the model chose: only the user's run.
        if let Some(command) = verify
            && !limits.verify_allowed.iter().any(|a| a.trim() == command)
        {
            return Err(ToolError::ToModel(format!(
                "the verify command {command:?} is not allowed; the user allows {} ([delegation] verify_allowed). Delegate without verify, or with one of those",
                if limits.verify_allowed.is_empty() {
                    "none".to_owned()
                } else {
                    limits
                        .verify_allowed
                        .iter()
                        .map(|a| format!("{:?}", a.trim()))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )));
        }
        let provider = args
            .provider
            .clone()
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| NATIVE_PROVIDER.to_owned());
        if !self
            .state
            .config
            .providers
            .iter()
            .any(|p| p.name == provider)
        {
            let names: Vec<&str> = self
                .state
                .config
                .providers
                .iter()
                .filter(|p| p.enabled || p.name == NATIVE_PROVIDER)
                .map(|p| p.name.as_str())
                .collect();
            return Err(ToolError::ToModel(format!(
                "provider {provider:?} is not configured; use one of: {}",
                names.join(", ")
            )));
        }
        if self.depth >= limits.max_depth {
            return Err(stopped(&format!(
                "max depth reached (this chat is {} delegation(s) deep, the most allowed is {})",
                self.depth, limits.max_depth
            )));
        }
        self.budget.reserve(limits).map_err(|why| stopped(&why))?;
        let _slot = tokio::select! {
            _ = ctx.cancel.cancelled() => return Err(ToolError::ToModel("cancelled".into())),
            slot = self.budget.parallel.clone().acquire_owned() => slot
                .map_err(|_| ToolError::Fatal("the delegation slots are closed".into()))?,
        };
        let child = self
            .start_child(&args, &provider, &prompt)
            .await
            .map_err(|e| ToolError::ToModel(format!("the child could not start: {e}")))?;
        let mut guard = ChildGuard {
            state: self.state.clone(),
            chat: child.id,
            armed: true,
        };
        self.state.delegations.join(child.id, self.budget.clone());
        crate::queue::post_message(&self.state, child.id, prompt, false)
            .await
            .map_err(|e| ToolError::ToModel(format!("the child could not start: {e}")))?;
        tracing::info!(parent = %self.parent, child = %child.id, %provider, writes = args.writes, "delegated");
        loop {
            tokio::select! {
                _ = ctx.cancel.cancelled() => {
                    return Err(ToolError::ToModel("cancelled; the child was stopped".into()));
                }
                _ = tokio::time::sleep(POLL) => {}
            }
            if !self.state.runner.is_running(child.id)
                && self
                    .state
                    .store
                    .queued_messages(child.id)
                    .await
                    .is_ok_and(|q| q.is_empty())
            {
                break;
            }
        }
        guard.armed = false;
        self.state.delegations.leave(child.id);
        // A child answers once: its agent's process need not stay warm.
        self.state.agents.close_chat(child.id).await;
        let mut result = self.result(child.id, &provider, verify).await;
        self.subagent_stop(&mut result, &ctx.cancel).await;
        self.budget.spend(result.tokens, result.cost_usd);
        let text = serde_json::to_string_pretty(&result)
            .map_err(|e| ToolError::Fatal(format!("cannot write the result: {e}")))?;
        Ok(ToolOutput::new(text))
    }
}

impl DelegateTool {
    async fn start_child(
        &self,
        args: &DelegateArgs,
        provider: &str,
        prompt: &str,
    ) -> Result<boocode_core::Chat, RuntimeError> {
        let parent = self.state.store.get_chat(self.parent).await?;
        let mut settings = self.state.config.default_chat_settings();
        settings.provider = provider.to_owned();
        settings.model.clone_from(&args.model);
        settings.agent.clone_from(&args.agent);
        settings.web = parent.web;
        settings.tool_tier = parent.tool_tier;
        let title = format!("↳ {}", short_title(prompt));
        let mut chat = if args.writes {
            settings.mode = ChatMode::AutoApply;
            let options = WorktreeOptions::new(format!("delegated by chat {}", self.parent))
                .include_uncommitted();
            self.state
                .create_chat_in_worktree(parent.session_id, &title, &settings, options)
                .await?
        } else {
            settings.mode = ChatMode::Ask;
            self.state
                .store
                .create_chat_with(parent.session_id, &title, &settings)
                .await?
        };
        self.state
            .store
            .set_chat_parent(chat.id, self.parent)
            .await?;
        chat.parent = Some(self.parent);
        // Sent again with its parent (a client keeps the last one it saw).
        self.state
            .broker
            .publish_user(boocode_core::UserFrame::ChatCreated { chat: chat.clone() });
        Ok(chat)
    }

    /// The child's result: its last answer and usage, its changes, the verify command's
    /// result.
    async fn result(&self, child: ChatId, provider: &str, verify: Option<&str>) -> DelegateResult {
        let state = &self.state;
        let mut result = DelegateResult {
            chat_id: child,
            provider: provider.to_owned(),
            outcome: "failed".into(),
            answer: String::new(),
            files_changed: Vec::new(),
            verify: None,
            tokens: 0,
            cost_usd: None,
            note: String::new(),
        };
        if let Ok(page) = state.store.list_messages(child, None, 20).await
            && let Some(last) = page
                .messages
                .iter()
                .rev()
                .find(|m| m.role == Role::Assistant && m.kind != MessageKind::Sentinel)
        {
            result.outcome = serde_json::to_value(last.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            result.answer = head(&last.text(), MAX_ANSWER_BYTES);
            if let Some(usage) = &last.usage {
                result.tokens = usage.prompt_tokens + usage.completion_tokens;
                result.cost_usd = usage.cost_usd;
            }
        }
        let chat = state.store.get_chat(child).await.ok();
        if let Some(chat) = chat.as_ref().filter(|c| c.worktree.is_some()) {
            match state.chat_changes(chat).await {
                Ok(changes) => {
                    result.files_changed = changes
                        .iter()
                        .map(|c| ChangedFile {
                            path: c.path.clone(),
                            added: c.added,
                            removed: c.removed,
                        })
                        .collect();
                }
                Err(e) => tracing::warn!(%child, error = %e, "cannot measure a child's changes"),
            }
        }
        result.note = if result.files_changed.is_empty() {
            "The child changed no files.".into()
        } else {
            "These changes wait in the child's own worktree: they reach your review queue only \
             when a person merges the child chat. Do not redo them."
                .into()
        };
        if let Some(command) = verify {
            let dir = match chat.as_ref().and_then(|c| c.workdir.clone()) {
                Some(dir) => Some(std::path::PathBuf::from(dir)),
                None => self.project_root().await,
            };
            if let Some(dir) = dir {
                let (exit_code, output) =
                    crate::arena::verify(command, &dir, crate::arena::DEFAULT_VERIFY_TIMEOUT).await;
                result.verify = Some(VerifyResult {
                    command: command.to_owned(),
                    exit_code,
                    output,
                });
            }
        }
        result
    }

    /// `SubagentStop` hooks of the parent's chat: each run, and any objection or context, is
    /// added to the result's note (what the parent's model reads).
    async fn subagent_stop(
        &self,
        result: &mut DelegateResult,
        cancel: &boocode_core::CancellationToken,
    ) {
        let Ok(parent) = self.state.store.get_chat(self.parent).await else {
            return;
        };
        let root = match &parent.workdir {
            Some(dir) => Some(std::path::PathBuf::from(dir)),
            None => self.project_root().await,
        };
        let Some(hooks) = root.and_then(|root| {
            self.state
                .config
                .chat_hooks(parent.id, &root, parent.mode, &parent.provider)
        }) else {
            return;
        };
        let outcome = hooks
            .run(
                boocode_core::HookInput::subagent_stop(&result.answer),
                cancel,
            )
            .await;
        for run in &outcome.runs {
            result.note.push('\n');
            result.note.push_str(&run.notice().1);
        }
        if outcome.decision == boocode_core::HookDecision::Deny {
            result.note.push_str(&format!(
                "\nA SubagentStop hook objects to this result: {}",
                outcome.reason_or("no reason given")
            ));
        }
        if let Some(context) = outcome.context_text() {
            result.note.push_str(&format!("\n{context}"));
        }
    }

    async fn project_root(&self) -> Option<std::path::PathBuf> {
        let chat = self.state.store.get_chat(self.parent).await.ok()?;
        let session = self.state.store.get_session(chat.session_id).await.ok()?;
        let project = self
            .state
            .store
            .get_project(session.project_id)
            .await
            .ok()?;
        Some(project.root.into())
    }
}

/// Stops a child whose `delegate` call was dropped (the parent's turn stopped or timed out)
/// and closes its agent's process.
struct ChildGuard {
    state: Runtime,
    chat: ChatId,
    armed: bool,
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (state, chat) = (self.state.clone(), self.chat);
        state.delegations.leave(chat);
        tokio::spawn(async move {
            if let Err(e) = state.store.clear_queue(chat).await {
                tracing::warn!(%chat, error = %e, "could not clear a stopped child's queue");
            }
            state.runner.stop(chat);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while state.runner.is_running(chat) && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(POLL).await;
            }
            state.agents.close_chat(chat).await;
            tracing::info!(%chat, "a delegated child was stopped with its parent");
        });
    }
}

fn short_title(prompt: &str) -> String {
    let line = prompt.lines().next().unwrap_or_default().trim();
    let mut title: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        title.push('…');
    }
    title
}

fn head(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{}\n[… the answer goes on; open the child chat to read it all]",
        &text[..cut]
    )
}

impl Runtime {
    /// Queues the changes delegated child `child` made in its worktree as pending changes of
    /// its parent chat (reviewed, applied and rewound there like any other), then removes the
    /// worktree. The explicit step by which a child's work reaches the parent: each change is
    /// made against the file as the child found it, so a file changed in the main tree since
    /// is refused at apply as a conflict, never overwritten.
    pub async fn merge_child(&self, child: ChatId) -> Result<MergedChild, RuntimeError> {
        let chat = self.store.get_chat(child).await?;
        let parent = chat.parent.ok_or_else(|| {
            RuntimeError::Invalid(
                "this chat was not delegated by another; nothing to merge into".into(),
            )
        })?;
        if chat.worktree.is_none() {
            return Err(RuntimeError::Invalid(
                "this child only read (it has no worktree); nothing to merge".into(),
            ));
        }
        if self.runner.is_running(child) {
            return Err(RuntimeError::TurnRunning(
                "the child is still working; merge it when it has finished".into(),
            ));
        }
        let changes = self.chat_changes(&chat).await?;
        if changes.is_empty() {
            return Err(RuntimeError::Conflict("the child changed no files".into()));
        }
        let files: Vec<String> = changes.iter().map(|c| c.path.clone()).collect();
        let queued = self.queue_changes(parent, changes).await?;
        crate::queue::publish_changes(self, parent).await;
        self.discard_chat_worktree(child).await?;
        tracing::info!(%child, %parent, queued, "child merged into its parent's queue");
        Ok(MergedChild {
            parent,
            files,
            queued: u32::try_from(queued).unwrap_or(u32::MAX),
        })
    }
}
