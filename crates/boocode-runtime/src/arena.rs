//! Arenas: one prompt to several chats at once — any providers and models — each in its own
//! worktree, so they never collide. As each finishes, its optional verify command runs in its
//! worktree (the exit code is the score, never the agent's claim) and its changes are measured;
//! the arena is kept in the store and sent to clients after every step. Picking a contender
//! queues its diff as pending changes on the main tree (reviewed like any chat's); discarding
//! removes the worktrees.

use crate::error::RuntimeError;
use crate::state::Runtime;
use boocode_core::arena::{Arena, Contender, ContenderState, NewArena};
use boocode_core::{ChatMode, SessionId, UserFrame};
use boocode_worktree::WorktreeOptions;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Most contenders one arena may have.
pub const MAX_CONTENDERS: usize = 8;
/// How long a verify command may run unless the arena says otherwise.
pub const DEFAULT_VERIFY_TIMEOUT: Duration = Duration::from_secs(600);
/// How much of the verify command's output is kept (its end).
const VERIFY_OUTPUT_BYTES: usize = 8 * 1024;
/// How often running contenders are looked at.
const POLL: Duration = Duration::from_millis(200);

impl Runtime {
    /// Starts an arena in `session`: a chat per contender, each in a new worktree of the
    /// session's project in auto-apply mode, all given `spec.prompt` at once. Returns at once;
    /// the arena is updated (store and `arena_updated` frames) as contenders finish.
    pub async fn start_arena(
        &self,
        session: SessionId,
        spec: NewArena,
    ) -> Result<Arena, RuntimeError> {
        self.begin_arena(session, spec, None).await
    }

    async fn begin_arena(
        &self,
        session: SessionId,
        spec: NewArena,
        rerun_of: Option<String>,
    ) -> Result<Arena, RuntimeError> {
        let prompt = spec.prompt.trim().to_owned();
        if prompt.is_empty() {
            return Err(RuntimeError::Invalid("the arena's prompt is empty".into()));
        }
        if !(2..=MAX_CONTENDERS).contains(&spec.contenders.len()) {
            return Err(RuntimeError::Invalid(format!(
                "an arena has 2 to {MAX_CONTENDERS} contenders, not {}",
                spec.contenders.len()
            )));
        }
        for c in &spec.contenders {
            if !self.config.providers.iter().any(|p| p.name == c.provider) {
                return Err(RuntimeError::Invalid(format!(
                    "provider {:?} is not configured",
                    c.provider
                )));
            }
        }
        let session = self.store.get_session(session).await?;
        let id = format!("arena_{}", uuid::Uuid::new_v4().simple());
        let short = &id["arena_".len().."arena_".len() + 6];
        let mut contenders = Vec::new();
        for (i, c) in spec.contenders.iter().enumerate() {
            let index = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let mut settings = self.config.default_chat_settings();
            settings.provider.clone_from(&c.provider);
            settings.model.clone_from(&c.model);
            settings.mode = ChatMode::AutoApply;
            let name = match &c.model {
                Some(model) => format!("{}:{model}", c.provider),
                None => c.provider.clone(),
            };
            let mut options = WorktreeOptions::new(format!("arena {id} contender {index}"));
            if spec.include_uncommitted {
                options = options.include_uncommitted();
            }
            let title = format!("Arena {short} · {index} {name}");
            match self
                .create_chat_in_worktree(session.id, &title, &settings, options)
                .await
            {
                Ok(chat) => contenders.push(Contender {
                    index,
                    chat_id: chat.id,
                    provider: c.provider.clone(),
                    model: c.model.clone(),
                    state: ContenderState::Running,
                    outcome: None,
                    wall_ms: None,
                    tokens: None,
                    cost_usd: None,
                    files_changed: Vec::new(),
                    lines_added: 0,
                    lines_removed: 0,
                    verify_exit: None,
                    verify_output: None,
                }),
                Err(e) => {
                    // Nothing half-made: the worktrees made so far go.
                    for made in &contenders {
                        let _ = self.discard_chat_worktree(made.chat_id).await;
                    }
                    return Err(e);
                }
            }
        }
        let arena = Arena {
            id,
            project_id: session.project_id,
            session_id: session.id,
            prompt: prompt.clone(),
            verify: spec.verify.filter(|v| !v.trim().is_empty()),
            contenders,
            files_in_common: Vec::new(),
            picked: None,
            picked_chat: None,
            discarded: false,
            include_uncommitted: spec.include_uncommitted,
            verify_timeout_secs: spec.verify_timeout_secs,
            rerun_of,
            created_at: boocode_core::now_ms(),
        };
        self.store.put_arena(&arena).await?;
        let started = Instant::now();
        for c in &arena.contenders {
            crate::queue::post_message(self, c.chat_id, prompt.clone(), false).await?;
        }
        let timeout = spec
            .verify_timeout_secs
            .map_or(DEFAULT_VERIFY_TIMEOUT, Duration::from_secs);
        tokio::spawn(follow(self.clone(), arena.clone(), started, timeout));
        self.broker.publish_user(UserFrame::ArenaUpdated {
            arena: arena.clone(),
        });
        tracing::info!(arena = %arena.id, contenders = arena.contenders.len(), "arena started");
        Ok(arena)
    }

    /// Runs arena `id` again: the same prompt, contenders, verify command and starting point,
    /// in new worktrees of its session, as a new arena (`rerun_of` names the first); both are
    /// kept for the leaderboard.
    pub async fn rerun_arena(&self, id: &str) -> Result<Arena, RuntimeError> {
        let old = self.store.get_arena(id).await?;
        let mut spec = NewArena::default();
        spec.prompt.clone_from(&old.prompt);
        spec.contenders = old
            .contenders
            .iter()
            .map(|c| {
                let mut n = boocode_core::arena::NewContender::default();
                n.provider.clone_from(&c.provider);
                n.model.clone_from(&c.model);
                n
            })
            .collect();
        spec.verify.clone_from(&old.verify);
        spec.verify_timeout_secs = old.verify_timeout_secs;
        spec.include_uncommitted = old.include_uncommitted;
        self.begin_arena(old.session_id, spec, Some(old.id)).await
    }

    /// Queues contender `index`'s changes as pending changes on the main tree, under a new
    /// chat of the arena's session (reviewed, applied and rewound like any chat's). Each
    /// change is made against the file as the contender found it, so a file changed in the
    /// main tree since is refused at apply as a conflict, never overwritten.
    pub async fn pick_arena(&self, id: &str, index: u32) -> Result<Arena, RuntimeError> {
        let mut arena = self.store.get_arena(id).await?;
        if arena.discarded {
            return Err(RuntimeError::Conflict(
                "this arena was discarded; its worktrees are gone".into(),
            ));
        }
        if let Some(picked) = arena.picked {
            return Err(RuntimeError::Conflict(format!(
                "contender {picked} was picked already"
            )));
        }
        let contender = arena
            .contenders
            .iter()
            .find(|c| c.index == index)
            .cloned()
            .ok_or_else(|| RuntimeError::Invalid(format!("no contender {index}")))?;
        if contender.state != ContenderState::Done {
            return Err(RuntimeError::Conflict(format!(
                "contender {index} has not finished"
            )));
        }
        let changes = self.contender_changes(&contender).await?;
        let mut settings = self.config.default_chat_settings();
        settings.mode = ChatMode::Review;
        let name = match &contender.model {
            Some(model) => format!("{}:{model}", contender.provider),
            None => contender.provider.clone(),
        };
        let chat = self
            .store
            .create_chat_with(
                arena.session_id,
                &format!("Arena pick · {index} {name}"),
                &settings,
            )
            .await?;
        self.queue_changes(chat.id, changes).await?;
        self.broker
            .publish_user(UserFrame::ChatCreated { chat: chat.clone() });
        crate::queue::publish_changes(self, chat.id).await;
        arena.picked = Some(index);
        arena.picked_chat = Some(chat.id);
        self.store.put_arena(&arena).await?;
        self.broker.publish_user(UserFrame::ArenaUpdated {
            arena: arena.clone(),
        });
        Ok(arena)
    }

    /// Removes the arena's worktrees (stopping contenders still running). Its chats keep their
    /// history; the arena its summary.
    pub async fn discard_arena(&self, id: &str) -> Result<Arena, RuntimeError> {
        let mut arena = self.store.get_arena(id).await?;
        for c in &arena.contenders {
            if self.runner.stop(c.chat_id) {
                let deadline = Instant::now() + Duration::from_secs(10);
                while self.runner.is_running(c.chat_id) && Instant::now() < deadline {
                    tokio::time::sleep(POLL).await;
                }
            }
            self.discard_chat_worktree(c.chat_id).await?;
        }
        arena.discarded = true;
        self.store.put_arena(&arena).await?;
        self.broker.publish_user(UserFrame::ArenaUpdated {
            arena: arena.clone(),
        });
        tracing::info!(arena = %arena.id, "arena discarded");
        Ok(arena)
    }

    async fn contender_changes(
        &self,
        contender: &Contender,
    ) -> Result<Vec<boocode_worktree::FileChange>, RuntimeError> {
        let chat = self.store.get_chat(contender.chat_id).await?;
        self.chat_changes(&chat).await
    }
}

/// Follows an arena until every contender is done: as each turn ends, runs the verify command
/// in its worktree, measures its changes and usage, and records the arena.
async fn follow(state: Runtime, mut arena: Arena, started: Instant, timeout: Duration) {
    loop {
        let mut pending = false;
        for i in 0..arena.contenders.len() {
            let contender = &arena.contenders[i];
            if contender.state == ContenderState::Done {
                continue;
            }
            if state.runner.is_running(contender.chat_id)
                || state
                    .store
                    .queued_messages(contender.chat_id)
                    .await
                    .is_ok_and(|q| !q.is_empty())
            {
                pending = true;
                continue;
            }
            let wall = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
            arena.contenders[i].state = ContenderState::Verifying;
            arena.contenders[i].wall_ms = Some(wall);
            publish(&state, &arena).await;
            let done = finish(&state, &arena, arena.contenders[i].clone(), timeout).await;
            arena.contenders[i] = done;
            arena.files_in_common = in_common(&arena.contenders);
            publish(&state, &arena).await;
        }
        if !pending {
            tracing::info!(arena = %arena.id, "arena finished");
            return;
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn publish(state: &Runtime, arena: &Arena) {
    // A pick or a discard may have come in meanwhile: keep them.
    let mut arena = arena.clone();
    if let Ok(stored) = state.store.get_arena(&arena.id).await {
        arena.picked = stored.picked;
        arena.picked_chat = stored.picked_chat;
        arena.discarded = stored.discarded;
    }
    if let Err(e) = state.store.put_arena(&arena).await {
        tracing::warn!(error = %e, arena = %arena.id, "cannot record the arena");
    }
    state.broker.publish_user(UserFrame::ArenaUpdated { arena });
}

/// Files changed by every contender that changed any.
fn in_common(contenders: &[Contender]) -> Vec<String> {
    let mut sets = contenders
        .iter()
        .filter(|c| c.state == ContenderState::Done && !c.files_changed.is_empty())
        .map(|c| {
            c.files_changed
                .iter()
                .cloned()
                .collect::<BTreeSet<String>>()
        });
    let Some(first) = sets.next() else {
        return Vec::new();
    };
    sets.fold(first, |acc, s| acc.intersection(&s).cloned().collect())
        .into_iter()
        .collect()
}

/// A contender whose turn ended: its outcome and usage, its changes, its verify result.
async fn finish(
    state: &Runtime,
    arena: &Arena,
    mut contender: Contender,
    timeout: Duration,
) -> Contender {
    if let Ok(page) = state.store.list_messages(contender.chat_id, None, 10).await
        && let Some(last) = page
            .messages
            .iter()
            .rev()
            .find(|m| m.role == boocode_core::Role::Assistant)
    {
        contender.outcome = Some(
            serde_json::to_value(last.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        );
        if let Some(usage) = &last.usage {
            contender.tokens = i64::try_from(usage.prompt_tokens + usage.completion_tokens).ok();
            contender.cost_usd = usage.cost_usd;
        }
    }
    match state.contender_changes(&contender).await {
        Ok(changes) => {
            contender.files_changed = changes.iter().map(|c| c.path.clone()).collect();
            contender.lines_added = changes.iter().map(|c| c.added as i64).sum();
            contender.lines_removed = changes.iter().map(|c| c.removed as i64).sum();
        }
        Err(e) => tracing::warn!(error = %e, "cannot measure a contender's changes"),
    }
    if let Some(command) = &arena.verify
        && let Ok(chat) = state.store.get_chat(contender.chat_id).await
        && let Some(dir) = chat.workdir
    {
        let (code, output) = verify(command, std::path::Path::new(&dir), timeout).await;
        contender.verify_exit = code;
        contender.verify_output = Some(output);
    }
    contender.state = ContenderState::Done;
    contender
}

/// Runs `command` with `sh -c` in `dir`, in its own process group (killed whole on timeout);
/// its exit code (`None` when it timed out or was killed) and the end of its output.
pub(crate) async fn verify(
    command: &str,
    dir: &std::path::Path,
    timeout: Duration,
) -> (Option<i32>, String) {
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("BOOCODE_") {
            cmd.env_remove(key);
        }
    }
    let child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => return (None, format!("cannot run the verify command: {e}")),
    };
    let pid = child.id();
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(out)) => {
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            (out.status.code(), tail(&text))
        }
        Ok(Err(e)) => (None, format!("the verify command failed: {e}")),
        Err(_) => {
            if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            (
                None,
                format!(
                    "the verify command did not finish within {} s",
                    timeout.as_secs()
                ),
            )
        }
    }
}

fn tail(text: &str) -> String {
    if text.len() <= VERIFY_OUTPUT_BYTES {
        return text.to_owned();
    }
    let mut cut = text.len() - VERIFY_OUTPUT_BYTES;
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    text[cut..].to_owned()
}

/// How each provider and model did over `arenas` (finished contenders only): contests, wins,
/// verify passes and median time, tokens and cost; most wins first, then best pass rate.
pub fn leaderboard(arenas: &[Arena]) -> Vec<boocode_core::arena::LeaderboardRow> {
    use std::collections::BTreeMap;
    #[derive(Default)]
    struct Tally {
        contests: u32,
        wins: u32,
        verified: u32,
        passed: u32,
        walls: Vec<i64>,
        tokens: Vec<i64>,
        costs: Vec<f64>,
    }
    let mut by: BTreeMap<(String, Option<String>), Tally> = BTreeMap::new();
    for arena in arenas {
        for c in arena
            .contenders
            .iter()
            .filter(|c| c.state == ContenderState::Done)
        {
            let t = by.entry((c.provider.clone(), c.model.clone())).or_default();
            t.contests += 1;
            t.wins += u32::from(arena.picked == Some(c.index));
            if arena.verify.is_some() {
                t.verified += 1;
                t.passed += u32::from(c.verify_exit == Some(0));
            }
            t.walls.extend(c.wall_ms);
            t.tokens.extend(c.tokens);
            t.costs.extend(c.cost_usd);
        }
    }
    fn median<T: Copy + PartialOrd>(mut values: Vec<T>) -> Option<T> {
        values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        values.get(values.len() / 2).copied()
    }
    let mut rows: Vec<boocode_core::arena::LeaderboardRow> = by
        .into_iter()
        .map(
            |((provider, model), t)| boocode_core::arena::LeaderboardRow {
                provider,
                model,
                contests: t.contests,
                wins: t.wins,
                verified: t.verified,
                passed: t.passed,
                median_wall_ms: median(t.walls),
                median_tokens: median(t.tokens),
                median_cost_usd: median(t.costs),
            },
        )
        .collect();
    let rate = |r: &boocode_core::arena::LeaderboardRow| {
        if r.verified == 0 {
            0.0
        } else {
            f64::from(r.passed) / f64::from(r.verified)
        }
    };
    rows.sort_by(|a, b| {
        b.wins.cmp(&a.wins).then(
            rate(b)
                .partial_cmp(&rate(a))
                .unwrap_or(std::cmp::Ordering::Equal),
        )
    });
    rows
}
