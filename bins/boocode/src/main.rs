//! `boocode`: the BooCode command line.
//!
//! `boocode run "prompt"` runs one turn of the native loop on a local project against any
//! OpenAI-compatible server, streaming the answer, reasoning and tool calls as they happen.
#![allow(clippy::print_stdout, clippy::print_stderr)]

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
