//! `boocode-server`: the BooCode chat server (REST + WebSockets).
//!
//! Binds 127.0.0.1:7410 by default; listening anywhere else needs `BOOCODE_AUTH_TOKEN` or
//! trusted proxies. Stores everything in SQLite in the user's data directory unless
//! `--database` points at another SQLite file or a Postgres server.
#![allow(clippy::print_stderr)]

use anyhow::{Context, Result, bail};
use boocode_server::{AppState, ServerConfig, serve};
use boocode_store::Store;
use clap::{Parser, ValueEnum};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Parser)]
#[command(name = "boocode-server", version, about = "The BooCode chat server")]
struct Args {
    /// Address to listen on. Non-loopback addresses need an auth token or trusted proxies.
    #[arg(long, env = "BOOCODE_BIND", default_value = "127.0.0.1:7410")]
    bind: SocketAddr,
    /// `sqlite://PATH` or `postgres://…` [default: SQLite in the user's data directory].
    #[arg(long, env = "BOOCODE_DATABASE_URL")]
    database: Option<String>,
    /// OpenAI-compatible model server.
    #[arg(
        long,
        env = "BOOCODE_MODEL_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    model_url: String,
    /// Default model id.
    #[arg(long, env = "BOOCODE_MODEL")]
    model: Option<String>,
    /// Directories under which existing projects may be added (repeat, or ':'-separated in the
    /// environment) [default: the home directory].
    #[arg(
        long = "allowed-root",
        env = "BOOCODE_ALLOWED_ROOTS",
        value_delimiter = ':'
    )]
    allowed_roots: Vec<PathBuf>,
    /// Where new projects are created [default: ~/boocode-projects].
    #[arg(long, env = "BOOCODE_PROJECTS_DIR")]
    projects_dir: Option<PathBuf>,
    /// Host names the server answers to besides localhost, 127.0.0.1 and [::1] when no token
    /// or trusted proxy is set (repeat, or ','-separated). Other names get 421: a defence
    /// against DNS rebinding.
    #[arg(
        long = "allowed-host",
        env = "BOOCODE_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    allowed_hosts: Vec<String>,
    /// Reverse proxies whose user header is trusted (repeat, or ','-separated).
    #[arg(
        long = "trusted-proxy",
        env = "BOOCODE_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<IpAddr>,
    /// The header a trusted proxy puts the authenticated user in.
    #[arg(long, env = "BOOCODE_PROXY_USER_HEADER", default_value = "Remote-User")]
    proxy_user_header: String,
    /// Extra origins allowed to open WebSockets (repeat, or ','-separated).
    #[arg(
        long = "allowed-origin",
        env = "BOOCODE_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    allowed_origins: Vec<String>,
    /// Seconds a streaming message may stay silent before the sweep fails it.
    #[arg(long, env = "BOOCODE_STALE_AFTER_SECS", default_value_t = 300)]
    stale_after_secs: u64,
    /// The built web UI [default: web/dist when it exists].
    #[arg(long, env = "BOOCODE_WEB_DIR")]
    web_dir: Option<PathBuf>,
    /// The SearXNG instance `web_search` queries for chats with web access (the `searxng_url`
    /// setting overrides it).
    #[arg(long, env = "BOOCODE_SEARXNG_URL")]
    searxng_url: Option<String>,
    /// Seconds to wait for a model's first token, and between tokens.
    #[arg(long, env = "BOOCODE_MODEL_TIMEOUT_SECS", default_value_t = 300)]
    model_timeout_secs: u64,
    /// Log format on stderr.
    #[arg(long, env = "BOOCODE_LOG_FORMAT", value_enum, default_value = "pretty")]
    log_format: LogFormat,
    /// Settings file; the server reads its `[mcp_servers.NAME]` tables [default:
    /// ~/.config/boocode/config.toml].
    #[arg(long, env = "BOOCODE_CONFIG")]
    config: Option<PathBuf>,
    /// Log filter (e.g. `info`, `boocode_server=debug`).
    #[arg(long, env = "BOOCODE_LOG", default_value = "info")]
    log: String,
}

/// The part of the settings file the server reads; other keys belong to other programs.
#[derive(Debug, Default, serde::Deserialize)]
struct FileSettings {
    #[serde(default)]
    mcp_servers: std::collections::BTreeMap<String, boocode_tools::McpServerConfig>,
    #[serde(default)]
    providers: std::collections::BTreeMap<String, boocode_agents::ProviderOverride>,
    #[serde(default)]
    delegation: boocode_server::DelegationSettings,
    #[serde(default)]
    hooks: boocode_server::HookSettings,
}

fn init_logging(args: &Args) {
    let filter = tracing_subscriber::EnvFilter::new(&args.log);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match args.log_format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

async fn run(args: Args) -> Result<()> {
    let home = dirs::home_dir();
    let data = dirs::data_local_dir().map(|d| d.join("boocode"));
    let mut config = ServerConfig::new(args.model_url.clone());
    config.bind = args.bind;
    config.auth_token = std::env::var("BOOCODE_AUTH_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty());
    config.api_key = std::env::var("BOOCODE_API_KEY")
        .ok()
        .filter(|t| !t.trim().is_empty());
    config.runtime.model = args.model.clone();
    config.runtime.searxng_url = args.searxng_url.clone();
    config.trusted_proxies = args.trusted_proxies.clone();
    config.proxy_user_header = args.proxy_user_header.clone();
    config.allowed_origins = args.allowed_origins.clone();
    config.allowed_hosts = args.allowed_hosts.clone();
    config.allowed_roots = if args.allowed_roots.is_empty() {
        home.clone().into_iter().collect()
    } else {
        args.allowed_roots.clone()
    };
    config.bootstrap_root = args
        .projects_dir
        .clone()
        .or_else(|| home.map(|h| h.join("boocode-projects")));
    config.runtime.config_dir = dirs::config_dir().map(|d| d.join("boocode"));
    config.runtime.truncation_dir = data.as_ref().map(|d| d.join("truncated"));
    config.runtime.worktree_dir = data.as_ref().map(|d| d.join("worktrees"));
    config.web_dir = args
        .web_dir
        .clone()
        .or_else(|| Some(PathBuf::from("web/dist")).filter(|d| d.join("index.html").is_file()));
    config.runtime.stale_after = Duration::from_secs(args.stale_after_secs.max(1));
    config.model_timeout = Duration::from_secs(args.model_timeout_secs.max(1));
    let settings = boocode_server::read_settings_file::<FileSettings>(args.config.as_deref())
        .map_err(anyhow::Error::msg)?;
    config.runtime.mcp_servers = settings.mcp_servers;
    config.runtime.providers = boocode_agents::providers_with(&settings.providers);
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
    tracing::info!(%addr, store = ?state.runtime.store.kind(), model_url = %boocode_tools::redact_url_credentials(&args.model_url), "BooCode server listening");
    eprintln!("listening on http://{addr}");
    serve(state, listener, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    init_logging(&args);
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
