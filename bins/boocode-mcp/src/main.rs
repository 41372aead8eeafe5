//! `boocode-mcp`: BooCode's guarded tools for editors and agents over MCP (stdio): `view_file`,
//! `list_dir`, `grep`, `find_files`, `edit_file` (proposed into the pending-changes queue, the
//! diff returned) and `dispatch_agent`. The project root is `--root`, or the working directory.
//! Logs go to stderr only; stdout is the protocol.
#![allow(clippy::print_stderr)]

use anyhow::{Context, Result};
use boocode_core::{ChangeQueue, ChangeScope};
use boocode_mcp::{McpConfig, McpToolServer};
use boocode_store::Store;
use boocode_tools::{PathGuard, ToolEnv};
use clap::Parser;
use rmcp::ServiceExt;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "boocode-mcp",
    version,
    about = "BooCode's guarded tools as an MCP stdio server"
)]
struct Args {
    /// The project the tools work on [default: the working directory].
    #[arg(long, env = "BOOCODE_MCP_ROOT")]
    root: Option<PathBuf>,
    /// Where edit_file proposals are kept: `sqlite://PATH` or `postgres://…` [default: the
    /// SQLite database the server and coder daemon use].
    #[arg(long, env = "BOOCODE_DATABASE_URL")]
    database: Option<String>,
    /// The chat proposals are filed under (see `boocode pending --chat`) [default: a new chat
    /// in a session "Edits over MCP" of the project].
    #[arg(long)]
    chat: Option<String>,
    /// OpenAI-compatible model server for `dispatch_agent` with the `boocode` provider.
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
    /// The longest a dispatched prompt may run, in seconds.
    #[arg(long, default_value_t = 600)]
    dispatch_timeout_secs: u64,
    /// Log filter for stderr.
    #[arg(long, env = "BOOCODE_LOG", default_value = "warn")]
    log: String,
}

#[derive(Debug, Default, Deserialize)]
struct FileSettings {
    #[serde(default)]
    providers: BTreeMap<String, boocode_agents::ProviderOverride>,
}

async fn run(args: Args) -> Result<()> {
    let root = match &args.root {
        Some(r) => r.clone(),
        None => std::env::current_dir().context("no working directory; pass --root")?,
    };
    let guard =
        PathGuard::new(&root).with_context(|| format!("project root {}", root.display()))?;
    let settings = boocode_tools::read_settings_file::<FileSettings>(args.config.as_deref())
        .map_err(anyhow::Error::msg)?;
    let store = Store::connect_or_default(args.database.as_deref())
        .await
        .context("cannot open the database")?;
    let chat_id: boocode_core::ChatId = match &args.chat {
        Some(raw) => {
            let id = raw
                .parse()
                .map_err(|_| anyhow::anyhow!("--chat {raw:?} is not a chat id"))?;
            store
                .get_chat(id)
                .await
                .with_context(|| format!("chat {raw}"))?
                .id
        }
        None => {
            // The project as the server knows it, and a session of its own for these edits.
            let project = store
                .project_at(&guard.root().to_string_lossy())
                .await
                .context("registering the project")?;
            let session = store
                .create_session(project.id, "Edits over MCP")
                .await
                .context("creating a session for the edits")?;
            store
                .create_chat(session.id, "", None)
                .await
                .context("creating a chat for the edits")?
                .id
        }
    };
    let mut model_config = boocode_inference::OpenAiConfig::new(args.model_url.clone());
    model_config.model = args.model.clone();
    model_config.api_key = std::env::var("BOOCODE_API_KEY")
        .ok()
        .filter(|k| !k.is_empty());
    let model = boocode_inference::OpenAiClient::new(model_config)
        .map_err(|e| anyhow::anyhow!("model server {}: {e}", args.model_url))?;
    let queue: Arc<dyn ChangeQueue> = Arc::new(store);
    let mut config = McpConfig::new(
        Arc::new(ToolEnv::new(guard)),
        queue,
        ChangeScope(chat_id),
        Arc::new(model),
    )
    .providers(boocode_agents::providers_with(&settings.providers))
    .dispatch_timeout(Duration::from_secs(args.dispatch_timeout_secs.max(1)));
    config.model_id = args.model.clone();
    config.config_dir = dirs::config_dir().map(|d| d.join("boocode"));
    let server = McpToolServer::new(config);
    tracing::info!(root = %root.display(), chat = %chat_id, "boocode-mcp serving on stdio");
    let service = server
        .serve(rmcp::transport::stdio())
        .await
        .context("the MCP handshake failed")?;
    service.waiting().await.context("the MCP session failed")?;
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&args.log))
        .with_writer(std::io::stderr)
        .try_init();
    let _ = rustls::crypto::ring::default_provider().install_default();
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
