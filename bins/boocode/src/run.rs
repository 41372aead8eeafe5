//! `boocode run`: one turn of the native loop on a local project with the read tools.

use crate::render::{Mode, Printer};
use crate::settings::{self, FlagSettings, Settings};
use anyhow::{Context, Result, bail};
use boocode_core::{
    AgentDef, CancellationToken, EventSink, Message, ModelClient, TurnConfig, TurnLimits,
    TurnOutcome, run_turn,
};
use boocode_inference::{OpenAiClient, OpenAiConfig};
use boocode_tools::{McpServers, McpStatus, PathGuard, Tier, ToolEnv, TruncationStore, read_tools};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// What `boocode run` was asked to do.
#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// The prompt.
    pub(crate) prompt: String,
    /// OpenAI-compatible server URL [env: BOOCODE_MODEL_URL] [default: http://127.0.0.1:8080].
    #[arg(long)]
    pub(crate) model_url: Option<String>,
    /// Model id [env: BOOCODE_MODEL].
    #[arg(long)]
    pub(crate) model: Option<String>,
    /// Agent definition to run with (from ~/.config/boocode/agents or .boocode/agents).
    #[arg(long)]
    pub(crate) agent: Option<String>,
    /// Project directory [default: the current directory].
    #[arg(long)]
    pub(crate) cwd: Option<PathBuf>,
    /// Print the event stream as JSON lines instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Settings file [env: BOOCODE_CONFIG] [default: ~/.config/boocode/config.toml].
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
}

/// Exit statuses of `boocode run`.
pub(crate) mod exit {
    /// The model answered.
    pub(crate) const COMPLETED: u8 = 0;
    /// The endpoint or a tool failed, or the set-up was wrong.
    pub(crate) const ERROR: u8 = 1;
    /// The turn stopped early: step cap, tool budget or doom loop.
    pub(crate) const STOPPED_EARLY: u8 = 3;
    /// Interrupted with Ctrl-C.
    pub(crate) const CANCELLED: u8 = 130;
}

/// The agents a run in `project` may use (built-in, global, the project's), and the folders
/// looked in.
pub(crate) fn agents(project: &Path) -> (boocode_core::AgentRegistry, Vec<std::path::PathBuf>) {
    let mut dirs = Vec::new();
    if let Some(dir) = settings::config_dir() {
        dirs.push(dir.join("agents"));
    }
    dirs.push(project.join(".boocode/agents"));
    let (registry, errors) =
        boocode_tools::load_agents(&dirs, &boocode_tools::SecretGuard::default());
    for e in &errors {
        tracing::warn!("{e}");
    }
    (registry, dirs)
}

fn agent(name: &str, project: &Path) -> Result<AgentDef> {
    let (registry, dirs) = agents(project);
    match registry.get(name) {
        Some(def) => Ok(def.clone()),
        None => {
            let known: Vec<&str> = registry.iter().map(|a| a.name.as_str()).collect();
            bail!(
                "no agent named {name:?} (looked in {}); known agents: {}",
                dirs.iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            )
        }
    }
}

fn tool_env(project: &Path) -> Result<ToolEnv> {
    let guard = PathGuard::new(project)
        .with_context(|| format!("cannot use {} as the project", project.display()))?;
    let mut env = ToolEnv::new(guard);
    if let Some(dir) = settings::data_dir() {
        match TruncationStore::open(dir.join("truncated")) {
            Ok(store) => {
                if let Err(e) = store.sweep() {
                    tracing::warn!("could not sweep old truncated outputs: {e}");
                }
                env = env.with_truncation(store);
            }
            Err(e) => tracing::warn!("truncated outputs will not be kept: {e}"),
        }
    }
    Ok(env)
}

/// Runs the turn and returns the exit status.
pub(crate) async fn run(args: RunArgs) -> Result<u8> {
    let flags = FlagSettings {
        model_url: args.model_url.clone(),
        model: args.model.clone(),
    };
    let settings: Settings = settings::load(&flags, args.config.as_deref())?;
    let project = match &args.cwd {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let agent = match &args.agent {
        Some(name) => Some(agent(name, &project)?),
        None => None,
    };
    let tier: Tier = settings
        .tool_tier
        .as_deref()
        .unwrap_or("standard")
        .parse()
        .map_err(anyhow::Error::msg)?;
    let env = Arc::new(tool_env(&project)?);
    let whitelist = agent.as_ref().and_then(|a| a.tools.as_deref());
    let (mut tools, unknown) = read_tools(env, tier, whitelist);
    // MCP servers start in the background; the turn waits for them only up to `mcp_wait`, and
    // goes on with whatever is ready.
    let mcp = McpServers::start(&settings.mcp_servers);
    if !settings.mcp_servers.is_empty() {
        mcp.settle(settings.mcp_wait).await;
        for (name, status) in mcp.status() {
            match status {
                McpStatus::Ready { dropped, .. } => {
                    for reason in dropped {
                        eprintln!("warning: MCP server {name}: {reason}");
                    }
                }
                McpStatus::Failed { reason } => {
                    eprintln!("warning: MCP server {name} skipped: {reason}");
                }
                McpStatus::Starting => eprintln!(
                    "warning: MCP server {name} skipped: still starting after {} s",
                    settings.mcp_wait.as_secs()
                ),
                _ => {}
            }
        }
        for tool in mcp.tools() {
            if whitelist.is_none_or(|w| w.iter().any(|n| n == tool.name())) {
                tools.insert(tool);
            }
        }
    }
    if !unknown.is_empty() {
        tracing::warn!(
            "the agent names tools that do not exist here: {}",
            unknown.join(", ")
        );
    }

    let mut config = OpenAiConfig::new(settings.model_url.clone());
    config.model = agent
        .as_ref()
        .and_then(|a| a.model.clone())
        .or(settings.model.clone());
    config.api_key = settings.api_key.clone();
    config.discovery_timeout = Duration::from_secs(2);
    let client = OpenAiClient::new(config).map_err(anyhow::Error::msg)?;
    let ctx_max = client.context_size(None).await;

    // The same prompt a server chat or a coder run gets for this project.
    let root = project.canonicalize().unwrap_or_else(|_| project.clone());
    let system = boocode_tools::system_prompt(
        &boocode_tools::project_name_of(&root),
        &root,
        settings::config_dir().as_deref(),
        agent.as_ref(),
    )
    .text;
    // The hooks of the settings.json files, as a server chat runs them (no one to ask: a
    // hook's *ask* refuses the call here).
    let mut hook_config = boocode_server::HookConfig::default();
    settings::load_file(args.config.as_deref())?
        .hooks
        .apply(&mut hook_config);
    let hooks: Option<Arc<dyn boocode_core::Hooks>> = hook_config.enabled.then(|| {
        let files = boocode_tools::HookFiles::new(&root, settings::config_dir())
            .with_project_settings(hook_config.project_settings)
            .with_claude_settings(hook_config.claude_settings);
        let scope = boocode_tools::HookScope::new(format!("run-{}", std::process::id()), &root);
        Arc::new(boocode_tools::CommandHooks::new(
            files,
            scope,
            hook_config.policy,
        )) as Arc<dyn boocode_core::Hooks>
    });
    let mut turn = TurnConfig::default()
        .system(system)
        .limits(TurnLimits::for_agent(agent.as_ref(), &tools));
    turn.ctx_max = ctx_max;
    turn.hooks = hooks;

    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
            // A second Ctrl-C leaves at once.
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(exit::CANCELLED));
            }
        }
    });

    let printer = Printer::new(if args.json { Mode::Json } else { Mode::Human }, ctx_max);
    let sink: &dyn EventSink = &printer;
    let result = run_turn(
        &client,
        &tools,
        &[Message::user(args.prompt)],
        &turn,
        sink,
        &cancel,
    )
    .await;
    Ok(match result.outcome {
        TurnOutcome::Completed => exit::COMPLETED,
        TurnOutcome::Cancelled => exit::CANCELLED,
        TurnOutcome::StepCap | TurnOutcome::BudgetExhausted | TurnOutcome::DoomLoop => {
            exit::STOPPED_EARLY
        }
        _ => exit::ERROR,
    })
}
