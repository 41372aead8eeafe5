//! `boocode-coder`: the coder daemon — the BooCode server in its coder profile. It serves one
//! project, with the server's routes and no web UI; its chats run BooCode's own loop or Claude
//! Code, claude-agent-acp, opencode and the other providers, in `review` mode by default, so
//! every file write waits in the chat's pending-changes queue (or is applied at once in
//! `auto_apply`). REST + WebSocket on 127.0.0.1:7411 by default; `boocode dispatch`, `inbox`,
//! `pending`, `apply`, `reject` and `rewind` are its command-line client.
#![allow(clippy::print_stderr)]

use anyhow::{Context, Result, bail};
use boocode_server::{AppState, ServerConfig, serve};
use boocode_store::Store;
use clap::Parser;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(name = "boocode-coder", version, about = "The BooCode coder daemon")]
struct Args {
    /// The project runs work on [default: the working directory].
    #[arg(long, env = "BOOCODE_CODER_ROOT")]
    root: Option<PathBuf>,
    /// Address to listen on. Non-loopback addresses need BOOCODE_CODER_TOKEN.
    #[arg(long, env = "BOOCODE_CODER_BIND", default_value = "127.0.0.1:7411")]
    bind: SocketAddr,
    /// Host names the daemon answers to besides localhost, 127.0.0.1 and `[::1]` when no token
    /// is set (repeat, or ','-separated). Other names get 421: a defence against DNS
    /// rebinding.
    #[arg(
        long = "allowed-host",
        env = "BOOCODE_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    allowed_hosts: Vec<String>,
    /// `sqlite://PATH` or `postgres://…` [default: SQLite in the user's data directory].
    #[arg(long, env = "BOOCODE_DATABASE_URL")]
    database: Option<String>,
    /// OpenAI-compatible model server for the native provider.
    #[arg(
        long,
        env = "BOOCODE_MODEL_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    model_url: String,
    /// Default model id.
    #[arg(long, env = "BOOCODE_MODEL")]
    model: Option<String>,
    /// Settings file with `[providers.NAME]` tables [default: ~/.config/boocode/config.toml].
    #[arg(long, env = "BOOCODE_CONFIG")]
    config: Option<PathBuf>,
    /// Seconds to wait for a model's first token, and between tokens.
    #[arg(long, env = "BOOCODE_MODEL_TIMEOUT_SECS", default_value_t = 300)]
    model_timeout_secs: u64,
    /// Seconds an external agent's session stays warm after its chat's last turn.
    #[arg(long, env = "BOOCODE_AGENT_IDLE_SECS", default_value_t = 600)]
    agent_idle_secs: u64,
    /// Log filter (e.g. `info`, `boocode_server=debug`).
    #[arg(long, env = "BOOCODE_LOG", default_value = "info")]
    log: String,
}

/// The part of the settings file the daemon reads; other keys belong to other programs.
#[derive(Debug, Default, Deserialize)]
struct FileSettings {
    #[serde(default)]
    providers: BTreeMap<String, boocode_agents::ProviderOverride>,
    #[serde(default)]
    mcp_servers: BTreeMap<String, boocode_tools::McpServerConfig>,
    /// `[delegation]`: bounds on Boomerang delegation and the verify commands it may run.
    #[serde(default)]
    delegation: boocode_server::DelegationSettings,
    /// `[hooks]`: how settings.json hooks run.
    #[serde(default)]
    hooks: boocode_server::HookSettings,
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term => {},
    }
}

async fn run(args: Args) -> Result<()> {
    let root = match &args.root {
        Some(r) => r.clone(),
        None => std::env::current_dir().context("no working directory; pass --root")?,
    };
    let settings = boocode_server::read_settings_file::<FileSettings>(args.config.as_deref())
        .map_err(anyhow::Error::msg)?;
    let mut config = ServerConfig::coder(root, args.model_url.clone());
    config.bind = args.bind;
    config.allowed_hosts = args.allowed_hosts.clone();
    config.runtime.config_dir = dirs::config_dir().map(|d| d.join("boocode"));
    config.runtime.truncation_dir =
        dirs::data_local_dir().map(|d| d.join("boocode").join("truncated"));
    config.runtime.worktree_dir =
        dirs::data_local_dir().map(|d| d.join("boocode").join("worktrees"));
    // BOOCODE_CODER_TOKEN first, so one machine can run a token-protected workspace and a
    // daemon with its own token.
    config.auth_token = ["BOOCODE_CODER_TOKEN", "BOOCODE_AUTH_TOKEN"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|t| !t.trim().is_empty()));
    config.api_key = std::env::var("BOOCODE_API_KEY")
        .ok()
        .filter(|t| !t.trim().is_empty());
    config.runtime.model = args.model.clone();
    config.model_timeout = Duration::from_secs(args.model_timeout_secs.max(1));
    config.runtime.agent_idle = Duration::from_secs(args.agent_idle_secs.max(1));
    config.runtime.providers = boocode_agents::providers_with(&settings.providers);
    config.runtime.mcp_servers = settings.mcp_servers;
    settings.delegation.apply(&mut config.runtime.delegation);
    settings.hooks.apply(&mut config.runtime.hooks);
    if let Err(reason) = config.check_exposure() {
        bail!(reason);
    }
    let store = Store::connect_or_default(args.database.as_deref())
        .await
        .context("cannot open the database")?;
    let state = AppState::new(config, store).map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "BooCode coder daemon listening");
    eprintln!("listening on http://{addr}");
    serve(state, listener, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&args.log))
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
