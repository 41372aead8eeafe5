//! `boocode arena`: one prompt to several providers at once through a running server, each in
//! its own worktree of the project; then `show`, `pick` (its diff waits in the pending queue on
//! the main tree) and `discard` (its worktrees go).

use crate::coder::{Client, DaemonArgs, title_of};
use crate::local::LocalServer;
use anyhow::{Context, Result, bail};
use boocode_core::arena::{Arena, ContenderState, NewArena, NewContender, PickContender};
use boocode_core::protocol::{NewChat, SessionCreated};
use clap::{Args, Subcommand};
use std::io::Write;
use std::time::Duration;

/// `boocode arena`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct ArenaArgs {
    #[command(subcommand)]
    action: Option<ArenaAction>,
    #[command(flatten)]
    start: StartArgs,
}

/// Starting an arena.
#[derive(Debug, Args)]
pub(crate) struct StartArgs {
    #[command(flatten)]
    daemon: DaemonArgs,
    /// A contender: a provider, optionally `:model` (`claude-acp`, `boocode:qwen3`); give 2 to 8.
    #[arg(long = "provider", required = true)]
    providers: Vec<String>,
    /// A command run in each contender's worktree when it finishes; its exit code is the score.
    #[arg(long)]
    verify: Option<String>,
    /// Seconds the verify command may run.
    #[arg(long)]
    verify_timeout: Option<u64>,
    /// Start from the project as it is on disk, uncommitted work included.
    #[arg(long)]
    include_uncommitted: bool,
    /// Start it and print its id without waiting.
    #[arg(long)]
    detach: bool,
    /// Run it inside this command (no server needs to be running): a coder server for the
    /// working directory runs until the arena ends; `show`, `pick` and `discard` take
    /// `--local` too.
    #[arg(long, conflicts_with = "detach")]
    local: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// What every contender is asked.
    #[arg(required = true)]
    prompt: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ArenaAction {
    /// Show an arena's summary.
    Show {
        #[command(flatten)]
        daemon: DaemonArgs,
        /// Use a coder server inside this command (see `boocode arena --local`).
        #[arg(long)]
        local: bool,
        /// The arena's id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Queue contender N's changes on the main tree, for review (`boocode pending`).
    Pick {
        #[command(flatten)]
        daemon: DaemonArgs,
        /// Use a coder server inside this command (see `boocode arena --local`).
        #[arg(long)]
        local: bool,
        /// The arena's id.
        id: String,
        /// The contender, 1-based as listed.
        index: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the arena again (same prompt, contenders and verify command) in new worktrees, as a
    /// new arena; waits for it and prints its summary.
    Rerun {
        #[command(flatten)]
        daemon: DaemonArgs,
        /// Use a coder server inside this command (see `boocode arena --local`).
        #[arg(long)]
        local: bool,
        /// The arena's id.
        id: String,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove the arena's worktrees.
    Discard {
        #[command(flatten)]
        daemon: DaemonArgs,
        /// Use a coder server inside this command (see `boocode arena --local`).
        #[arg(long)]
        local: bool,
        /// The arena's id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `provider[:model]`.
fn contender(spec: &str) -> Result<NewContender> {
    let (provider, model) = match spec.split_once(':') {
        Some((p, m)) if !m.is_empty() => (p, Some(m.to_owned())),
        _ => (spec.trim_end_matches(':'), None),
    };
    if provider.is_empty() {
        bail!("--provider {spec:?}: name a provider, optionally with :model");
    }
    Ok(NewContender {
        provider: provider.to_owned(),
        model,
    })
}

/// A client of the server `daemon` names, or of one started inside this command.
async fn connect(daemon: &DaemonArgs, local: bool) -> Result<(Client, Option<LocalServer>)> {
    if !local {
        return Ok((Client::new(daemon), None));
    }
    let server = LocalServer::start(daemon.url()).await?;
    Ok((
        server.client(daemon.project().map(str::to_owned)),
        Some(server),
    ))
}

pub(crate) async fn arena(args: ArenaArgs) -> Result<u8> {
    let (daemon, local) = match &args.action {
        Some(
            ArenaAction::Show { daemon, local, .. }
            | ArenaAction::Pick { daemon, local, .. }
            | ArenaAction::Rerun { daemon, local, .. }
            | ArenaAction::Discard { daemon, local, .. },
        ) => (daemon.clone(), *local),
        None => (args.start.daemon.clone(), args.start.local),
    };
    let (client, server) = connect(&daemon, local).await?;
    let done = act(&client, args).await;
    if let Some(server) = server {
        server.stop().await?;
    }
    done.map(|()| 0)
}

async fn act(client: &Client, args: ArenaArgs) -> Result<()> {
    match args.action {
        Some(ArenaAction::Show { id, json, .. }) => {
            let arena: Arena = client.get(&format!("/api/arenas/{id}")).await?;
            print(&arena, json)?;
        }
        Some(ArenaAction::Pick {
            id, index, json, ..
        }) => {
            let arena: Arena = client
                .post(&format!("/api/arenas/{id}/pick"), &PickContender { index })
                .await?;
            if json {
                print(&arena, true)?;
            } else {
                let chat = arena.picked_chat.map(|c| c.to_string()).unwrap_or_default();
                writeln!(
                    std::io::stdout(),
                    "contender {index}'s changes wait for review: boocode pending --chat {chat}"
                )?;
            }
        }
        Some(ArenaAction::Rerun { id, json, .. }) => {
            let arena: Arena = client
                .post(&format!("/api/arenas/{id}/rerun"), &serde_json::json!({}))
                .await?;
            eprintln!("arena {id} runs again as {}", arena.id);
            follow(client, arena, json).await?;
        }
        Some(ArenaAction::Discard { id, json, .. }) => {
            let arena: Arena = client.delete(&format!("/api/arenas/{id}")).await?;
            if json {
                print(&arena, true)?;
            } else {
                writeln!(std::io::stdout(), "arena {id}: worktrees removed")?;
            }
        }
        None => start(client, args.start).await?,
    }
    Ok(())
}

async fn start(client: &Client, args: StartArgs) -> Result<()> {
    let prompt = args.prompt.clone().context("give the prompt")?;
    let contenders = args
        .providers
        .iter()
        .map(|p| contender(p))
        .collect::<Result<Vec<_>>>()?;
    let project = client.project().await?;
    let mut new = NewChat::default();
    new.title = Some(format!("Arena: {}", title_of(&prompt)));
    let created: SessionCreated = client
        .post(&format!("/api/projects/{}/sessions", project.id), &new)
        .await?;
    let spec = NewArena {
        prompt,
        contenders,
        verify: args.verify.clone(),
        verify_timeout_secs: args.verify_timeout,
        include_uncommitted: args.include_uncommitted,
    };
    let arena: Arena = client
        .post(
            &format!("/api/sessions/{}/arenas", created.session.id),
            &spec,
        )
        .await?;
    if args.detach {
        writeln!(std::io::stdout(), "{}", arena.id)?;
        return Ok(());
    }
    follow(client, arena, args.json).await
}

/// Waits for every contender, telling each as it finishes, then prints the summary.
async fn follow(client: &Client, mut arena: Arena, json: bool) -> Result<()> {
    let mut reported = 0;
    loop {
        let done: Vec<_> = arena
            .contenders
            .iter()
            .filter(|c| c.state == ContenderState::Done)
            .collect();
        for c in done.iter().skip(reported) {
            tracing::info!(contender = c.index, provider = %c.provider, "done");
            eprintln!(
                "contender {} ({}) done: {}",
                c.index,
                name(c),
                c.outcome.as_deref().unwrap_or("?")
            );
        }
        reported = done.len();
        if reported == arena.contenders.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        arena = client.get(&format!("/api/arenas/{}", arena.id)).await?;
    }
    print(&arena, json)
}

fn name(c: &boocode_core::arena::Contender) -> String {
    match &c.model {
        Some(model) => format!("{}:{model}", c.provider),
        None => c.provider.clone(),
    }
}

/// The summary: a table, or the JSON the issue's `--json` names.
fn print(arena: &Arena, json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let contenders: Vec<serde_json::Value> = arena
            .contenders
            .iter()
            .map(|c| {
                serde_json::json!({
                    "index": c.index, "provider": c.provider, "model": c.model,
                    "state": c.state, "outcome": c.outcome, "verify_exit": c.verify_exit,
                    "files_changed": c.files_changed, "lines_added": c.lines_added,
                    "lines_removed": c.lines_removed, "tokens": c.tokens, "cost_usd": c.cost_usd,
                    "wall_ms": c.wall_ms, "chat_id": c.chat_id,
                })
            })
            .collect();
        let body = serde_json::json!({
            "id": arena.id, "prompt": arena.prompt, "verify": arena.verify,
            "contenders": contenders, "files_in_common": arena.files_in_common,
            "picked": arena.picked, "discarded": arena.discarded,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&body)?)?;
        return Ok(());
    }
    writeln!(out, "arena {}", arena.id)?;
    writeln!(
        out,
        "{:>2}  {:<24} {:<10} {:>7} {:>6} {:>9} {:>8} {:>9}",
        "#", "contender", "outcome", "verify", "files", "+/-", "tokens", "time"
    )?;
    for c in &arena.contenders {
        let verify = match (c.state, c.verify_exit, &arena.verify) {
            (_, _, None) => "-".to_owned(),
            (ContenderState::Done, Some(0), _) => "pass".to_owned(),
            (ContenderState::Done, Some(code), _) => format!("fail {code}"),
            (ContenderState::Done, None, _) => "timeout".to_owned(),
            _ => "…".to_owned(),
        };
        writeln!(
            out,
            "{:>2}  {:<24} {:<10} {:>7} {:>6} {:>9} {:>8} {:>8.1}s",
            c.index,
            name(c),
            c.outcome.as_deref().unwrap_or("running"),
            verify,
            c.files_changed.len(),
            format!("+{}/-{}", c.lines_added, c.lines_removed),
            c.tokens
                .map(|t| t.to_string())
                .unwrap_or_else(|| "-".into()),
            c.wall_ms.unwrap_or_default() as f64 / 1000.0,
        )?;
    }
    if !arena.files_in_common.is_empty() {
        writeln!(out, "changed by all: {}", arena.files_in_common.join(", "))?;
    }
    if let Some(picked) = arena.picked {
        writeln!(out, "picked: {picked}")?;
    }
    Ok(())
}
