//! Chats on BooCode's own loop: each turn starts a [`NativeBackend`](boocode_agents::NativeBackend)
//! session from the chat's stored history (since its last summary), with the tools its mode
//! allows (read tools in `ask`; read and write tools, writing into the chat's pending-changes
//! queue, in `review` and `auto_apply`), the project's MCP tools, the system prompt every runner
//! assembles the same way and the turn's steering inbox. The session holds no process, so it
//! lives for one turn: the store is its history, which a compaction, a restart or a turn on
//! another instance changes.

use crate::runner::lock;
use crate::turn::TurnContext;
use boocode_agents::{AgentBackend, BackendOptions, NativeParts, Provider, SessionConfig};
use boocode_core::{AgentEvent, EventSink, NATIVE_PROVIDER, ToolLimits, TurnConfig, TurnLimits};
use boocode_tools::{PathGuard, Tier, ToolEnv, TruncationStore, UrlGuard, WebConfig, read_tools};
use std::sync::Arc;

/// What a native turn's session starts from.
pub(crate) struct NativeStart {
    pub(crate) backend: Box<dyn AgentBackend>,
    pub(crate) config: SessionConfig,
    /// The skills the turn may load (a `$name` in the prompt loads one up front).
    pub(crate) skills: Arc<std::collections::BTreeMap<String, boocode_tools::FoundSkill>>,
}

impl TurnContext {
    /// Builds the native backend for this turn and the session config holding the history
    /// before the user's new message. `Err` names why the turn cannot run.
    pub(crate) async fn native_start(&self, sink: &dyn EventSink) -> Result<NativeStart, String> {
        let state = &self.state;
        // Instruction files are read off the async workers: a slow disk or a hostile file
        // must not stall other chats.
        let agents = {
            let (st, root) = (state.clone(), self.project_root.clone());
            tokio::task::spawn_blocking(move || st.context.agents(&root))
                .await
                .unwrap_or_default()
        };
        let agent = self
            .agent
            .as_deref()
            .and_then(|name| agents.get(name).cloned());
        if let (Some(name), None) = (&self.agent, &agent) {
            sink.emit(AgentEvent::Notice {
                level: boocode_core::NoticeLevel::Warning,
                message: format!("agent {name:?} is not defined; running without it"),
            });
        }
        let whitelist = agent.as_ref().and_then(|a| a.tools.as_deref());
        // Skills (read off the async workers, through the guards), unless the agent's tool
        // list leaves `skill` out.
        let skills = if whitelist.is_none_or(|w| w.iter().any(|n| n == SKILL_TOOL)) {
            let (root, config) = (self.project_root.clone(), state.config.config_dir.clone());
            tokio::task::spawn_blocking(move || {
                boocode_tools::project_skills(&root, config.as_deref()).found
            })
            .await
            .unwrap_or_default()
        } else {
            Default::default()
        };
        let skills = Arc::new(skills);
        let mut paths = PathGuard::new(&self.project_root)
            .map_err(|e| format!("the project directory is not usable: {e}"))?;
        // A user's skill lives outside the project: its files may be read, nothing else there.
        for found in skills.values() {
            if !found.dir.starts_with(paths.root())
                && let Ok(granted) = paths.clone().with_read_grant(&found.dir)
            {
                paths = granted;
            }
        }
        for grant in &self.read_grants {
            // A grant whose directory is gone is skipped with a warning, not a failed turn.
            match paths.clone().with_read_grant(grant) {
                Ok(granted) => paths = granted,
                Err(e) => sink.emit(AgentEvent::Notice {
                    level: boocode_core::NoticeLevel::Warning,
                    message: format!("read grant {grant:?} is not usable: {e}"),
                }),
            }
        }
        let mut env = ToolEnv::new(paths);
        if let Some(dir) = &state.config.truncation_dir
            && let Ok(store) = TruncationStore::open(dir)
        {
            env = env.with_truncation(store);
        }
        if self.web {
            env = env.with_web(self.web_config(sink).await);
        }
        let env = Arc::new(env);
        let (mut tools, unknown) = read_tools(env.clone(), self.tool_tier, whitelist);
        // Review and auto-apply chats propose writes into their own pending-changes queue.
        let write_mode = match self.mode {
            boocode_core::ChatMode::Review => Some(boocode_tools::WriteMode::Review),
            boocode_core::ChatMode::AutoApply => Some(boocode_tools::WriteMode::AutoApply),
            _ => None,
        };
        if let Some(write_mode) = write_mode {
            let writes = boocode_tools::write_tools(
                env.clone(),
                Arc::new(state.store.clone()),
                boocode_core::ChangeScope(self.chat_id),
                write_mode,
            );
            for name in writes.names() {
                if whitelist.is_none_or(|w| w.iter().any(|n| n == name))
                    && let Some(tool) = writes.get(name)
                {
                    tools.insert(tool.clone());
                }
            }
        }
        // MCP tools of the servers ready now (one still starting is offered from a later
        // turn), above the core tier.
        let mcp = if self.tool_tier == Tier::Core {
            Vec::new()
        } else {
            state.mcp.tools()
        };
        for tool in mcp {
            if whitelist.is_none_or(|w| w.iter().any(|n| n == tool.name())) {
                tools.insert(tool);
            }
        }
        // Boomerang: an agent that lists `delegate` may hand subtasks to child chats.
        let delegates =
            whitelist.is_some_and(|w| w.iter().any(|n| n == crate::delegate::DELEGATE_TOOL));
        if delegates {
            let limits = &state.config.delegation;
            let depth = crate::delegate::depth_of(state, self.chat_id, limits.max_depth).await;
            tools.insert(Arc::new(crate::delegate::DelegateTool::new(
                state.clone(),
                self.chat_id,
                depth,
            )));
        }
        let active = boocode_tools::ActiveSkills::new();
        if !skills.is_empty() {
            tools.insert(Arc::new(
                boocode_tools::SkillTool::new(skills.clone(), paths_root(&env))
                    .with_active(active.clone()),
            ));
        }
        let unknown: Vec<&String> = unknown
            .iter()
            .filter(|n| n.as_str() != crate::delegate::DELEGATE_TOOL && n.as_str() != SKILL_TOOL)
            .collect();
        if !unknown.is_empty() {
            let names: Vec<&str> = unknown.iter().map(|n| n.as_str()).collect();
            tracing::warn!(tools = %names.join(", "), "agent names unknown tools");
        }
        let model_id = self
            .model
            .clone()
            .or_else(|| agent.as_ref().and_then(|a| a.model.clone()))
            .or_else(|| state.model.default_model())
            .or(state.config.model.clone());
        lock(&self.model_used).clone_from(&model_id);
        let ctx_max = state.model.context_size(model_id.as_deref()).await;
        let prompt = {
            let (st, name, root, agent) = (
                state.clone(),
                self.project_name.clone(),
                self.project_root.clone(),
                agent.clone(),
            );
            tokio::task::spawn_blocking(move || {
                st.context.system_prompt(&name, &root, agent.as_ref())
            })
            .await
            .map_err(|e| format!("assembling the system prompt failed: {e}"))?
        };
        let prompt = prompt.with_skills(
            skills
                .values()
                .map(|f| (f.skill.name.as_str(), f.skill.description.as_str())),
        );
        state.context.note_prompt(self.chat_id, &prompt);
        // `$name` in the message loads those skills (their text goes with it, see
        // `preload_skills`); a loaded skill's `allowed-tools` narrow the turn from the start.
        let user_text = self
            .history
            .last()
            .map(boocode_core::Message::text)
            .unwrap_or_default();
        let notices = boocode_tools::mentioned_skills(&user_text, &skills)
            .into_iter()
            .map(|found| {
                active.activate(&found.skill.name, found.skill.allowed_tools.as_deref());
                (
                    boocode_core::NoticeLevel::Info,
                    format!("skill {} loaded", found.skill.name),
                )
            })
            .collect();
        // A delegation waits for its child: the call may take as long as a child may run.
        let tool_limits = if delegates {
            let limits = ToolLimits::default();
            limits.timeout(limits.timeout.max(state.config.delegation.timeout))
        } else {
            ToolLimits::default()
        };
        let mut turn = TurnConfig::default()
            .system(prompt.text)
            .limits(TurnLimits::for_agent(agent.as_ref(), &tools))
            .tool_limits(tool_limits)
            .message_id(self.assistant.id)
            .steering(self.steering.clone());
        turn.ctx_max = ctx_max;
        turn.notices = notices;
        let backend = native_provider(&state.config.providers)
            .backend_with(BackendOptions::new().native(NativeParts::new(
                state.model.clone(),
                tools,
                turn,
            )))
            .map_err(|e| e.to_string())?;
        // The history ends with the user's new message, which the prompt sends.
        let before = self.history.len().saturating_sub(1);
        let cwd = env.paths().root().to_path_buf();
        let mut hooks = state
            .config
            .chat_hooks(self.chat_id, &cwd, self.mode, &self.provider);
        // A loaded skill's `allowed-tools` narrow the turn's tools, checked before any hook.
        if skills.values().any(|f| f.skill.allowed_tools.is_some()) {
            hooks = Some(Arc::new(boocode_tools::SkillGate::new(
                active.clone(),
                hooks,
            )));
        }
        let mut config = SessionConfig::new(cwd).history(self.history[..before].to_vec());
        config.hooks = hooks;
        config.model = model_id;
        config.effort = self.thinking.and_then(boocode_core::Thinking::effort);
        Ok(NativeStart {
            backend,
            config,
            skills,
        })
    }
}

impl TurnContext {
    /// The chat's web access: `web_fetch` through the URL guard, and `web_search` when a
    /// SearXNG URL is set (the `searxng_url` setting, else the configuration). A bad URL is
    /// reported and search left out.
    async fn web_config(&self, sink: &dyn EventSink) -> WebConfig {
        let setting = match self.state.store.get_setting(SEARXNG_SETTING).await {
            Ok(Some(serde_json::Value::String(url))) if !url.trim().is_empty() => Some(url),
            _ => None,
        };
        let raw = setting.or_else(|| self.state.config.searxng_url.clone());
        let searxng = raw.and_then(|raw| match url::Url::parse(raw.trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
            _ => {
                sink.emit(AgentEvent::Notice {
                    level: boocode_core::NoticeLevel::Warning,
                    message: format!(
                        "the SearXNG URL {:?} is not an http(s) URL; web_search is off",
                        boocode_core::redact_url_credentials(&raw)
                    ),
                });
                None
            }
        });
        WebConfig::new(UrlGuard::default(), searxng)
    }
}

/// The tool that loads a skill.
const SKILL_TOOL: &str = "skill";

fn paths_root(env: &ToolEnv) -> std::path::PathBuf {
    env.paths().root().to_path_buf()
}

/// `text` with each skill it names as `$name` appended in full, so the model starts with it
/// (the turn's notices say which were loaded).
pub(crate) fn preload_skills(text: String, start: &NativeStart, root: &std::path::Path) -> String {
    let mentioned = boocode_tools::mentioned_skills(&text, &start.skills);
    if mentioned.is_empty() {
        return text;
    }
    let mut text = text;
    for found in mentioned {
        text.push_str(&format!(
            "\n\n<skill name=\"{}\">\n{}</skill>",
            found.skill.name,
            boocode_tools::skill_text(found, root)
        ));
    }
    text
}

/// The setting holding the SearXNG base URL `web_search` queries.
pub const SEARXNG_SETTING: &str = "searxng_url";

/// The native provider as configured; chats may always use it (the chat routes allow it even
/// when the settings disable it), so it is enabled here.
fn native_provider(providers: &[Provider]) -> Provider {
    let mut provider = providers
        .iter()
        .find(|p| p.name == NATIVE_PROVIDER)
        .cloned()
        .unwrap_or_else(Provider::native);
    provider.enabled = true;
    provider
}
