//! `boocode acp`: BooCode as an Agent Client Protocol agent on stdio, for editors (Zed,
//! JetBrains, Neovim plugins) and other ACP clients. stdout carries the protocol only; logs go
//! to stderr.

use crate::settings::{self, FlagSettings};
use anyhow::{Context, Result};
use boocode_core::ChatMode;
use boocode_inference::{OpenAiClient, OpenAiConfig};
use boocode_runtime::acp_agent::{AcpAgentOptions, serve};
use boocode_runtime::{Runtime, RuntimeConfig};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What `boocode acp` was asked to do.
#[derive(Debug, clap::Args)]
pub(crate) struct AcpArgs {
    /// OpenAI-compatible server URL [env: BOOCODE_MODEL_URL] [default: http://127.0.0.1:8080].
    #[arg(long)]
    model_url: Option<String>,
    /// Model id [env: BOOCODE_MODEL].
    #[arg(long)]
    model: Option<String>,
    /// Other models to offer in the client's model selector (repeatable).
    #[arg(long = "offer-model")]
    offer_models: Vec<String>,
    /// The mode new sessions open in: `ask` (read only), `review` (each edit is put to the
    /// client with its diff) or `auto_apply`.
    #[arg(long, default_value = "review", value_parser = parse_mode)]
    mode: ChatMode,
    /// Database URL for the sessions (`sqlite://…` or `postgres://…`) [env:
    /// BOOCODE_ACP_DATABASE] [default: acp.sqlite in BooCode's data directory].
    #[arg(long)]
    database: Option<String>,
    /// Settings file [env: BOOCODE_CONFIG] [default: ~/.config/boocode/config.toml].
    #[arg(long)]
    config: Option<PathBuf>,
}

fn parse_mode(s: &str) -> Result<ChatMode, String> {
    match s {
        "ask" => Ok(ChatMode::Ask),
        "review" => Ok(ChatMode::Review),
        "auto_apply" | "auto-apply" => Ok(ChatMode::AutoApply),
        other => Err(format!("no mode {other:?} (ask, review or auto_apply)")),
    }
}

/// Serves ACP on stdin/stdout until the client closes it.
pub(crate) async fn acp(args: AcpArgs) -> Result<u8> {
    let flags = FlagSettings {
        model_url: args.model_url.clone(),
        model: args.model.clone(),
    };
    let settings = settings::load(&flags, args.config.as_deref())?;
    let file = settings::load_file(args.config.as_deref())?;
    let mut model = OpenAiConfig::new(settings.model_url.clone());
    model.model = settings.model.clone();
    model.api_key = settings.api_key.clone();
    let client = OpenAiClient::new(model).context("the model URL is not usable")?;
    let mut config = RuntimeConfig::default();
    config.model = settings.model.clone();
    config.config_dir = settings::config_dir();
    let data = settings::data_dir();
    config.truncation_dir = data.as_ref().map(|d| d.join("truncated"));
    config.worktree_dir = data.as_ref().map(|d| d.join("worktrees"));
    config.providers = boocode_agents::providers_with(&file.providers);
    config.mcp_servers = settings.mcp_servers.clone();
    file.delegation.apply(&mut config.delegation);
    file.hooks.apply(&mut config.hooks);
    let database = match args
        .database
        .clone()
        .or_else(|| std::env::var("BOOCODE_ACP_DATABASE").ok())
    {
        Some(url) => url,
        None => {
            let dir = data.context("no data directory for the sessions; give --database")?;
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            format!("sqlite://{}", dir.join("acp.sqlite").display())
        }
    };
    let store = boocode_store::Store::connect(&database)
        .await
        .with_context(|| format!("cannot open the session database {database}"))?;
    let runtime = Runtime::new(config, store, Arc::new(client));
    runtime.start().await.context("the runtime did not start")?;
    let options = AcpAgentOptions::default()
        .mode(args.mode)
        .models(args.offer_models.clone());
    tracing::info!("serving ACP on stdio");
    let served = serve(
        runtime.clone(),
        options,
        tokio::io::stdin(),
        tokio::io::stdout(),
    )
    .await;
    runtime.shutdown(Duration::from_secs(5)).await;
    served.context("the ACP connection failed")?;
    Ok(0)
}
