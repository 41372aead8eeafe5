//! `boocode`: the BooCode command line.
//!
//! `boocode run "prompt"` runs one turn of the native loop on a local project against any
//! OpenAI-compatible server, streaming the answer, reasoning and tool calls as they happen.
//! `dispatch`, `inbox`, `pending`, `apply`, `reject` and `rewind` talk to a running coder
//! daemon (`boocode-coder`) or BooCode server. `boocode acp` serves BooCode as an ACP agent on
//! stdio, for editors.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod acp;
mod arena;
mod coder;
mod local;
mod render;
mod run;
mod settings;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "boocode",
    version,
    about = "BooCode: chat with your code through any OpenAI-compatible model"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log filter for diagnostics on stderr (e.g. `debug`, `boocode_inference=trace`)
    /// [env: BOOCODE_LOG].
    #[arg(long, global = true)]
    log: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one turn on a local project with the read tools.
    ///
    /// Exit status: 0 answered, 1 error, 3 stopped early (step cap, tool budget or doom loop),
    /// 130 interrupted.
    Run(run::RunArgs),
    /// List the coding agents BooCode can drive, and whether each is installed and answers.
    Providers {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Settings file [env: BOOCODE_CONFIG].
        #[arg(long)]
        config: Option<std::path::PathBuf>,
    },
    /// List the agent definitions a chat in this project may run with: built-in, global
    /// (`~/.config/boocode/agents`) and the project's (`.boocode/agents`).
    Agents {
        /// Print JSON instead of a list.
        #[arg(long)]
        json: bool,
        /// The project [default: the working directory].
        #[arg(long)]
        project: Option<std::path::PathBuf>,
    },
    /// List the skills chats in this project may load (the user's and the project's), and
    /// any skipped with the reason. Exit 1 when one was skipped.
    Skills {
        /// Print JSON instead of a list.
        #[arg(long)]
        json: bool,
        /// The project [default: the working directory].
        #[arg(long)]
        project: Option<std::path::PathBuf>,
    },
    /// Start a chat on the coder daemon (or prompt an existing one) and stream its turn.
    ///
    /// Exit status as for `run`; edits wait in the pending queue in review mode.
    Dispatch(coder::DispatchArgs),
    /// List the permission prompts waiting across the server's chats, or answer one.
    Inbox(coder::InboxArgs),
    /// List the project's (or a chat's) pending changes.
    Pending(coder::PendingArgs),
    /// Write a chat's pending changes (all, or the ids given). Exit 1 if a file was refused.
    Apply(coder::ChangeArgs),
    /// Reject a chat's pending changes; nothing is written.
    Reject(coder::ChangeArgs),
    /// Undo a chat's applied changes, newest first. Exit 1 if a file was refused.
    Rewind(coder::ChangeArgs),
    /// One prompt to several providers at once, each in its own worktree, through a running
    /// server (or `--local`); `show`, `pick` and `discard` an arena.
    Arena(arena::ArenaArgs),
    /// Serve BooCode as an Agent Client Protocol agent on stdio, for editors (Zed, JetBrains,
    /// Neovim) and other ACP clients. See docs/EDITORS.md.
    Acp(acp::AcpArgs),
    /// Queue a delegated child chat's changes in its parent's pending queue (Boomerang's
    /// explicit merge step).
    Merge(coder::MergeArgs),
}

fn agents(json: bool, project: Option<std::path::PathBuf>) -> anyhow::Result<u8> {
    use std::io::Write;
    let root = match project {
        Some(p) => p,
        None => std::env::current_dir()?,
    };
    let (registry, _) = run::agents(&root);
    let list = boocode_tools::agent_infos(&registry, &root);
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        return Ok(0);
    }
    for a in &list {
        let tools = a
            .tools
            .as_ref()
            .map_or("all tools".to_owned(), |t| t.join(", "));
        writeln!(
            out,
            "{:<16} {:<8} {}",
            a.name,
            a.scope,
            a.description.as_deref().unwrap_or("")
        )?;
        writeln!(out, "{:<16} tools: {tools}", "")?;
    }
    Ok(0)
}

fn skills(json: bool, project: Option<std::path::PathBuf>) -> anyhow::Result<u8> {
    use std::io::Write;
    let root = match project {
        Some(p) => p,
        None => std::env::current_dir()?,
    };
    let list = boocode_tools::project_skills(&root, settings::config_dir().as_deref()).list(&root);
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
    } else {
        for s in &list.skills {
            writeln!(out, "${:<24} {}", s.name, s.description)?;
            writeln!(out, "  {} ({} bundled file(s))", s.dir, s.files.len())?;
        }
        if list.skills.is_empty() {
            writeln!(
                out,
                "no skills (looked in .agents/skills, .boocode/skills, .claude/skills, ~/.config/boocode/skills, ~/.agents/skills)"
            )?;
        }
    }
    for problem in &list.problems {
        eprintln!("warning: {problem}");
    }
    Ok(u8::from(
        list.problems.iter().any(|p| p.starts_with("skipped")),
    ))
}

async fn providers(json: bool, config: Option<&std::path::Path>) -> anyhow::Result<u8> {
    use boocode_agents::ProbeStatus;
    let file = settings::load_file(config)?;
    let list = boocode_agents::providers_with(&file.providers);
    let results = boocode_agents::probe_all(&list, boocode_agents::ProbeLimits::default()).await;
    if json {
        let rows: Vec<serde_json::Value> = results
            .iter()
            .map(|(p, s)| serde_json::json!({ "name": p.name, "kind": p.kind, "command": p.command, "args": p.args, "probe": s }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(0);
    }
    for (p, status) in &results {
        let command = p
            .command
            .clone()
            .map(|c| format!("{c} {}", p.args.join(" ")).trim().to_owned())
            .unwrap_or_else(|| "(built in)".into());
        let state = match status {
            ProbeStatus::Disabled => "disabled".to_owned(),
            ProbeStatus::Missing { .. } => "not installed".to_owned(),
            ProbeStatus::Broken { version, reason } => format!(
                "broken ({}): {reason}",
                version.as_deref().unwrap_or("no version")
            ),
            ProbeStatus::Ready { version, handshake } => format!(
                "ready {}{}",
                version.as_deref().unwrap_or(""),
                if *handshake {
                    ""
                } else {
                    " (version checked; no handshake without a model)"
                }
            ),
            other => format!("{other:?}"),
        };
        let kind = serde_json::to_value(p.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        println!("{:<12} {:<11} {:<32} {state}", p.name, kind, command);
    }
    Ok(0)
}

fn init_logging(filter: Option<&str>) {
    let filter = filter
        .map(str::to_owned)
        .or_else(|| std::env::var("BOOCODE_LOG").ok())
        .unwrap_or_else(|| "warn".to_owned());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log.as_deref());
    // A binary, not a library: the process-wide TLS provider is ours to pick, once.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(run::exit::ERROR);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run::run(args).await,
            Command::Providers { json, config } => providers(json, config.as_deref()).await,
            Command::Skills { json, project } => skills(json, project),
            Command::Agents { json, project } => agents(json, project),
            Command::Dispatch(args) => coder::dispatch(args).await,
            Command::Inbox(args) => coder::inbox(args).await,
            Command::Pending(args) => coder::pending(args).await,
            Command::Apply(args) => coder::change(coder::ChangeOp::Apply, args).await,
            Command::Merge(args) => coder::merge(args).await,
            Command::Reject(args) => coder::change(coder::ChangeOp::Reject, args).await,
            Command::Rewind(args) => coder::change(coder::ChangeOp::Rewind, args).await,
            Command::Arena(args) => arena::arena(args).await,
            Command::Acp(args) => acp::acp(args).await,
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(run::exit::ERROR)
        }
    }
}
