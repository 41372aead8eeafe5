//! The harness's own cost, side by side with its peers: the same scripted model drives
//! `boocode run` and the peers' one-shot CLIs installed in `tests/peers` (`opencode run`,
//! `claude -p`, `qwen`) and `bench/peers` (`pi -p`, `codex exec`, `gemini -p`; Codex and
//! gemini-cli against the testkit's scripted Responses and Gemini APIs) through each scenario — `one-line` (a one-sentence answer) and
//! `tool-loop` (ten steps alternating each harness's own grep and read tools over a small
//! project, then the answer; the last request must carry what the files hold) and `big-read`
//! (one read of a 200 KB file, then the answer). Measured per run: wall time, CPU time
//! and peak resident memory of the whole process tree, and the requests and bytes sent to the
//! model. Medians and spreads over `--runs` runs, all in one run of this program (the ratios
//! are the claim, not the absolute times).
//!
//! ```text
//! scripts/bench-harness                     # release build, 5 runs, writes docs/BENCHMARKS.md
//! target/release/harness --runs 3 --min-speedup 20 --min-leaner 10   # the regression guard
//! ```
//!
//! Each run gets a fresh home and project directory; nothing of the machine's settings is read.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::expect_used
)]

use anyhow::{Context, Result, bail};
use boocode_testkit::{
    AnthropicReply, ApiReply, Reply, ScriptedAnthropic, ScriptedApi, ScriptedOpenAi,
    opencode_config,
};
use clap::Parser;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// Runs per peer.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// The `boocode` binary.
    #[arg(long, default_value = "target/release/boocode")]
    boocode: PathBuf,
    /// Where the peers' programs are (`npm install` in tests/peers).
    #[arg(long, default_value = "tests/peers/node_modules/.bin")]
    peers: PathBuf,
    /// Where the harnesses only the benchmark runs are (`npm install` in bench/peers).
    #[arg(long, default_value = "bench/peers/node_modules/.bin")]
    bench_peers: PathBuf,
    /// Only these peers (comma-separated: boocode, opencode, claude, qwen, pi, codex, gemini).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The scenarios to run (comma-separated: one-line, tool-loop, big-read).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "one-line,tool-loop,big-read"
    )]
    scenarios: Vec<String>,
    /// Write the figures as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the Markdown report here.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Fail unless boocode's median wall time is this many times below opencode's.
    #[arg(long)]
    min_speedup: Option<f64>,
    /// Fail unless boocode's median peak memory is this many times below opencode's.
    #[arg(long)]
    min_leaner: Option<f64>,
}

/// One run of one peer.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall_ms: f64,
    cpu_ms: f64,
    peak_rss_kib: u64,
    requests: usize,
    request_bytes: usize,
    /// From the model's last byte to the answer on the harness's standard output.
    answer_ms: f64,
}

/// The scripted model servers: OpenAI chat completions, Anthropic Messages, OpenAI Responses
/// (codex) and Gemini (gemini-cli).
struct Models {
    openai: ScriptedOpenAi,
    anthropic: ScriptedAnthropic,
    responses: ScriptedApi,
    gemini: ScriptedApi,
}

/// The peers, in the order of the report.
const PEERS: [&str; 7] = [
    "boocode", "opencode", "claude", "qwen", "pi", "codex", "gemini",
];

const PROMPT: &str = "Say hello in one short sentence.";
const ANSWER: &str = "Hello from the scripted model.";
/// Written into every file of the tool-loop project: the read results must carry it back.
const NEEDLE: &str = "needle-7f3a";
/// Tool steps in the tool-loop scenario.
const STEPS: usize = 10;

/// Each peer's own grep and read tools: names and the argument objects they take.
fn tools_of(peer: &str, work: &Path, step: usize) -> (&'static str, Value) {
    let file = work.join(format!("src/mod{}.rs", step / 2));
    let file = file.display().to_string();
    let grep = step.is_multiple_of(2);
    match (peer, grep) {
        ("boocode", true) => ("grep", json!({"pattern": "fn handler"})),
        ("boocode", false) => (
            "view_file",
            json!({"path": format!("src/mod{}.rs", step / 2)}),
        ),
        ("opencode", true) => ("grep", json!({"pattern": "fn handler"})),
        ("opencode", false) => ("read", json!({"filePath": file})),
        ("claude", true) => ("Grep", json!({"pattern": "fn handler"})),
        ("claude", false) => ("Read", json!({"file_path": file})),
        ("pi", true) => ("grep", json!({"pattern": "fn handler"})),
        ("pi", false) => ("read", json!({"path": file})),
        // Codex has no grep or read tool of its own: it runs commands.
        ("codex", true) => ("exec_command", json!({"cmd": "rg -n 'fn handler' src"})),
        ("codex", false) => ("exec_command", json!({"cmd": format!("cat {file}")})),
        // qwen-code and gemini-cli (qwen-code is a fork of it).
        (_, true) => ("grep_search", json!({"pattern": "fn handler"})),
        (_, false) => ("read_file", json!({"file_path": file})),
    }
}

/// Makes `work` a git repository, as a real project is.
fn git_init(work: &Path) -> Result<()> {
    let init = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(work)
        .status()?;
    anyhow::ensure!(init.success(), "git init failed in {}", work.display());
    Ok(())
}

/// Scripts the model for one run of `scenario` by `peer` (in project `work`).
fn script(peer: &str, scenario: &str, models: &Models, work: &Path) -> Result<()> {
    if scenario == "tool-loop" {
        git_init(work)?;
        std::fs::create_dir_all(work.join("src"))?;
        for i in 0..STEPS / 2 {
            let body = format!("// {NEEDLE}\npub fn handler{i}() -> u32 {{\n    {i}\n}}\n");
            std::fs::write(work.join(format!("src/mod{i}.rs")), body.repeat(20))?;
        }
    }
    if scenario == "big-read" {
        git_init(work)?;
        std::fs::create_dir_all(work.join("src"))?;
        // 200 KB; the needle opens it, so a harness that keeps only the head still passes it on.
        let line = "let value = compute(previous, 0x5eed) + offset; // padding\n";
        let body = format!("// {NEEDLE}\n{}", line.repeat(200 * 1024 / line.len()));
        std::fs::write(work.join("src/mod0.rs"), body)?;
    }
    let steps = match scenario {
        "tool-loop" => STEPS,
        "big-read" => 1,
        _ => 0,
    };
    for step in 0..steps {
        // The big read is one read (an odd step) of src/mod0.rs.
        let step = if scenario == "big-read" { 1 } else { step };
        let (name, arguments) = tools_of(peer, work, step);
        let id = format!("call_{step}");
        models.push_call(peer, &id, name, arguments);
    }
    models.push_answer(peer);
    Ok(())
}

impl Models {
    async fn start() -> Result<Self> {
        let models = Self {
            openai: ScriptedOpenAi::start().await?,
            anthropic: ScriptedAnthropic::start().await?,
            responses: ScriptedApi::responses().await?,
            gemini: ScriptedApi::gemini().await?,
        };
        // Side requests a peer makes on its own (opencode's title) are answered outside the
        // script.
        models
            .openai
            .answer_matching("You are a title generator", Reply::text("Scripted title"));
        Ok(models)
    }

    /// Scripts a tool call in the API `peer` speaks.
    fn push_call(&self, peer: &str, id: &str, name: &str, arguments: Value) {
        match peer {
            "claude" => {
                self.anthropic.push(AnthropicReply::new().tool_use(
                    id,
                    name,
                    &["", &arguments.to_string()],
                ));
            }
            "codex" => {
                self.responses
                    .push(ApiReply::tool_call(id, name, arguments));
            }
            "gemini" => {
                self.gemini.push(ApiReply::tool_call(id, name, arguments));
            }
            _ => {
                self.openai.push(
                    Reply::stream()
                        .whole_tool_call(id, name, &arguments.to_string())
                        .finish("tool_calls"),
                );
            }
        }
    }

    /// Scripts the final answer in the API `peer` speaks.
    fn push_answer(&self, peer: &str) {
        match peer {
            "claude" => {
                self.anthropic
                    .push(AnthropicReply::new().text(&[ANSWER]).usage(100, 10));
            }
            "codex" => {
                self.responses.push(ApiReply::text(ANSWER));
            }
            "gemini" => {
                self.gemini.push(ApiReply::text(ANSWER));
            }
            _ => {
                self.openai.push(Reply::text(ANSWER));
            }
        }
    }

    /// The bodies of every model request so far, server by server (a peer talks to one).
    fn requests(&self) -> Vec<Value> {
        let openai = self.openai.completion_requests();
        let anthropic = self.anthropic.message_requests();
        let responses = self.responses.model_requests();
        let gemini = self.gemini.model_requests();
        openai
            .into_iter()
            .chain(anthropic)
            .chain(responses)
            .chain(gemini)
            .map(|r| r.body)
            .collect()
    }

    /// The end of the last response any server finished before `shown`: the model's last
    /// byte of the answer. A response that ended after the answer was shown cannot have
    /// carried it; a side request (opencode's title) that ended between the two would shorten
    /// the figure, but those run at the start of a turn.
    fn last_byte_before(&self, shown: Instant) -> Option<Instant> {
        [
            self.openai.response_ends(),
            self.anthropic.response_ends(),
            self.responses.response_ends(),
            self.gemini.response_ends(),
        ]
        .into_iter()
        .flatten()
        .filter(|end| *end <= shown)
        .max()
    }

    /// Scripted replies no request has taken yet.
    fn remaining(&self) -> usize {
        self.openai.remaining()
            + self.anthropic.remaining()
            + self.responses.remaining()
            + self.gemini.remaining()
    }
}

/// Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// `(ppid, utime + stime ticks, peak RSS KiB)` of a process, from `/proc`.
fn proc_stat(pid: u32) -> Option<(u32, u64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields start after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ppid = fields.get(1)?.parse().ok()?;
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // The peak so far (VmHWM), not the current size: a 5 ms poll may miss a short peak, but
    // never one that already happened.
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let peak_kib = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Some((ppid, ticks, peak_kib))
}

/// CPU ticks of this process's waited-for descendants (`cutime + cstime`): what a child that
/// exited spent, however short its life.
fn children_ticks() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            let rest = stat[stat.rfind(')')? + 2..].to_owned();
            let fields: Vec<&str> = rest.split_whitespace().collect();
            Some(fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

/// The pids of `root` and all its descendants, with their CPU ticks and RSS.
fn tree(root: u32) -> BTreeMap<u32, (u64, u64)> {
    let mut all = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            if let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
                && let Some(stat) = proc_stat(pid)
            {
                all.insert(pid, stat);
            }
        }
    }
    let mut members = BTreeMap::new();
    let mut frontier = vec![root];
    while let Some(pid) = frontier.pop() {
        if let Some(&(_, ticks, rss)) = all.get(&pid) {
            members.insert(pid, (ticks, rss));
        }
        frontier.extend(
            all.iter()
                .filter(|(_, (ppid, _, _))| *ppid == pid)
                .map(|(child, _)| *child),
        );
    }
    members
}

/// What one run of a peer measured.
struct Measured {
    wall_ms: f64,
    cpu_ms: f64,
    peak_rss_kib: u64,
    /// When [`ANSWER`] first appeared on its standard output.
    shown: Instant,
}

/// Reads a pipe to its end, noting when `needle` first appears in what was read so far.
async fn read_watching(
    mut pipe: impl tokio::io::AsyncRead + Unpin,
    needle: &'static str,
) -> std::io::Result<(Vec<u8>, Option<Instant>)> {
    use tokio::io::AsyncReadExt;
    let (mut all, mut seen, mut chunk) = (Vec::new(), None, [0u8; 8192]);
    loop {
        let n = pipe.read(&mut chunk).await?;
        if n == 0 {
            return Ok((all, seen));
        }
        all.extend_from_slice(&chunk[..n]);
        if seen.is_none() && String::from_utf8_lossy(&all).contains(needle) {
            seen = Some(Instant::now());
        }
    }
}

/// Runs `command` to its end, polling its process tree; the answer must contain [`ANSWER`].
async fn measure(mut command: tokio::process::Command) -> Result<Measured> {
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let ticks_before = children_ticks();
    let started = Instant::now();
    let mut child = command.spawn().context("cannot start the peer")?;
    let pid = child.id().context("no pid")?;
    let stdout = tokio::spawn(read_watching(
        child.stdout.take().context("no stdout")?,
        ANSWER,
    ));
    let stderr = tokio::spawn(read_watching(
        child.stderr.take().context("no stderr")?,
        ANSWER,
    ));
    let status = tokio::spawn(async move { child.wait().await });
    let (mut peak, mut cpu) = (0u64, BTreeMap::<u32, u64>::new());
    while !status.is_finished() {
        let members = tree(pid);
        peak = peak.max(members.values().map(|(_, rss)| rss).sum());
        for (pid, (ticks, _)) in members {
            let seen = cpu.entry(pid).or_default();
            *seen = (*seen).max(ticks);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let status = status.await??;
    let wall = started.elapsed().as_secs_f64() * 1000.0;
    let (stdout, shown) = stdout.await??;
    let (stderr, _) = stderr.await??;
    let stdout = String::from_utf8_lossy(&stdout);
    let Some(shown) = shown.filter(|_| status.success()) else {
        bail!(
            "exit {:?}; stdout {:?}; stderr {:?}",
            status.code(),
            stdout.chars().take(400).collect::<String>(),
            String::from_utf8_lossy(&stderr)
                .chars()
                .take(400)
                .collect::<String>()
        );
    };
    // Descendants reaped by their parents count in `cutime`; ones that outlived them (a daemon
    // re-parented elsewhere) only in what the polling saw. The larger is the better estimate.
    let reaped = children_ticks().saturating_sub(ticks_before);
    let polled = cpu.values().sum::<u64>();
    let cpu_ms = reaped.max(polled) as f64 * 1000.0 / TICKS_PER_SECOND;
    Ok(Measured {
        wall_ms: wall,
        cpu_ms,
        peak_rss_kib: peak,
        shown,
    })
}

/// The command that runs `peer` once in `dir` (a fresh home and project), with its model
/// scripted; `None` when the peer is not installed.
fn command_for(
    peer: &str,
    scenario: &str,
    args: &Args,
    models: &Models,
    dir: &Path,
) -> Result<Option<tokio::process::Command>> {
    let (home, work) = (dir.join("home"), dir.join("work"));
    std::fs::create_dir_all(&home)?;
    std::fs::create_dir_all(&work)?;
    let program = match peer {
        "boocode" => args.boocode.clone(),
        "pi" | "codex" | "gemini" => args.bench_peers.join(peer),
        other => args.peers.join(other),
    };
    if !program.exists() {
        return Ok(None);
    }
    // The command runs in the project directory: a relative path would not resolve there.
    let program = program.canonicalize()?;
    let mut command = tokio::process::Command::new(&program);
    command.current_dir(&work).env("HOME", &home);
    script(peer, scenario, models, &work)?;
    let prompt = match scenario {
        "tool-loop" => "Look through the handlers in src and summarise them.",
        "big-read" => "Read src/mod0.rs and summarise it.",
        _ => PROMPT,
    };
    match peer {
        "boocode" => {
            command.args(["run", "--model-url", &models.openai.url(), prompt]);
        }
        "opencode" => {
            let mut config = opencode_config(&models.openai.url());
            // It takes the temporary project for another directory and would ask before
            // each read; nobody is there to answer a one-shot run.
            config["permission"]["external_directory"] = json!("allow");
            std::fs::write(work.join("opencode.json"), config.to_string())?;
            let h = |p: &str| home.join(p);
            command
                .env("XDG_CONFIG_HOME", h(".config"))
                .env("XDG_DATA_HOME", h(".local/share"))
                .env("XDG_CACHE_HOME", h(".cache"))
                .env("OPENCODE_DISABLE_AUTOUPDATE", "1")
                .env("OPENCODE_CONFIG", work.join("opencode.json"))
                .args(["run", "--model", "scripted/scripted-model", prompt]);
        }
        "qwen" => {
            let settings = json!({
                "general": {"enableAutoUpdate": false},
                "privacy": {"usageStatisticsEnabled": false},
                "telemetry": {"enabled": false},
                "ui": {"enableFollowupSuggestions": false},
                "memory": {"enableManagedAutoMemory": false, "enableManagedAutoDream": false,
                           "enableAutoSkill": false}
            });
            std::fs::create_dir_all(home.join(".qwen"))?;
            std::fs::write(home.join(".qwen/settings.json"), settings.to_string())?;
            command
                .env("OPENAI_BASE_URL", format!("{}/v1", models.openai.url()))
                .env("OPENAI_API_KEY", "sk-test")
                .env("OPENAI_MODEL", "scripted-model")
                .arg(prompt);
        }
        "claude" => {
            command
                .env("ANTHROPIC_BASE_URL", models.anthropic.url())
                .env("ANTHROPIC_API_KEY", "sk-test")
                .env("CLAUDE_CONFIG_DIR", home.join(".claude"))
                .env("DISABLE_TELEMETRY", "1")
                .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
                .args(["-p", prompt, "--model", "claude-sonnet-4-5"]);
        }
        "pi" => {
            let models_json = json!({"providers": {"fake": {
                "baseUrl": format!("{}/v1", models.openai.url()),
                "api": "openai-completions", "apiKey": "x",
                "compat": {"supportsDeveloperRole": false, "supportsReasoningEffort": false},
                "models": [{"id": "scripted"}]}}});
            std::fs::create_dir_all(home.join(".pi/agent"))?;
            std::fs::write(home.join(".pi/agent/models.json"), models_json.to_string())?;
            command
                .env("PI_OFFLINE", "1")
                .args(["--provider", "fake", "--model", "scripted"])
                .args(["--tools", "read,grep", "--no-session", "-p", prompt]);
        }
        "codex" => {
            let config = format!(
                "model = \"scripted\"\nmodel_provider = \"fake\"\n\
                 check_for_update_on_startup = false\n\
                 [analytics]\nenabled = false\n\
                 [features]\nplugins = false\nremote_plugin = false\napps = false\n\
                 [model_providers.fake]\nname = \"fake\"\nbase_url = \"{}/v1\"\n\
                 env_key = \"FAKE_API_KEY\"\nwire_api = \"responses\"\n",
                models.responses.url()
            );
            std::fs::create_dir_all(home.join(".codex"))?;
            std::fs::write(home.join(".codex/config.toml"), config)?;
            command
                .env("CODEX_HOME", home.join(".codex"))
                .env("FAKE_API_KEY", "x")
                .args(["exec", "--skip-git-repo-check", prompt]);
        }
        "gemini" => {
            let settings = json!({
                "security": {"auth": {"selectedType": "gemini-api-key"}},
                "privacy": {"usageStatisticsEnabled": false},
                "telemetry": {"enabled": false},
                "general": {"enableAutoUpdate": false, "enableAutoUpdateNotification": false}
            });
            std::fs::create_dir_all(home.join(".gemini"))?;
            std::fs::write(home.join(".gemini/settings.json"), settings.to_string())?;
            command
                .env("GOOGLE_GEMINI_BASE_URL", models.gemini.url())
                .env("GEMINI_API_KEY", "x")
                .env("GEMINI_CLI_TRUST_WORKSPACE", "true")
                .args(["-m", "gemini-2.5-flash", "-p", prompt]);
        }
        other => bail!("unknown peer {other}"),
    }
    Ok(Some(command))
}

/// The model requests made since the first `before` ones and their bytes.
fn requests_since(models: &Models, before: usize) -> (usize, usize) {
    let all = models.requests();
    let new = all.get(before..).unwrap_or_default();
    (new.len(), new.iter().map(|b| b.to_string().len()).sum())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Median and (min, max) of one figure over the samples.
fn stats(samples: &[Sample], figure: fn(&Sample) -> f64) -> (f64, f64, f64) {
    let mut values: Vec<f64> = samples.iter().map(figure).collect();
    let m = median(&mut values);
    (m, values[0], values[values.len() - 1])
}

type Results = BTreeMap<(String, String), Result<Vec<Sample>, String>>;

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let peers: Vec<&str> = PEERS
        .into_iter()
        .filter(|p| args.only.is_empty() || args.only.iter().any(|o| o == p))
        .collect();
    let mut results = Results::new();
    for scenario in &args.scenarios {
        if !["one-line", "tool-loop", "big-read"].contains(&scenario.as_str()) {
            bail!("unknown scenario {scenario} (one-line, tool-loop, big-read)");
        }
        for peer in &peers {
            let result = run_peer(&args, peer, scenario).await?;
            match &result {
                Err(why) => eprintln!("{scenario} / {peer}: {why}"),
                Ok(samples) => eprintln!("{scenario} / {peer}: {} runs", samples.len()),
            }
            results.insert((scenario.clone(), (*peer).to_owned()), result);
        }
    }
    report(&args, &results)?;
    check(&args, &results)
}

/// One warm-up run, then `--runs` measured ones of `peer` in `scenario`; `Err` says why the
/// peer could not be measured.
async fn run_peer(args: &Args, peer: &str, scenario: &str) -> Result<Result<Vec<Sample>, String>> {
    // Fresh servers per peer: a reply one peer left unused cannot answer another.
    let models = Models::start().await?;
    let mut samples = Vec::new();
    for run in 0..=args.runs {
        let dir = tempfile::tempdir()?;
        let Some(command) = command_for(peer, scenario, args, &models, dir.path())? else {
            return Ok(Err(
                "not installed (npm install in tests/peers and bench/peers)".to_owned(),
            ));
        };
        let before = models.requests().len();
        let measured = match measure(command).await {
            Ok(m) => m,
            Err(e) => return Ok(Err(format!("failed: {e:#}"))),
        };
        // A reply the peer did not ask for would answer its next run.
        if models.remaining() > 0 {
            return Ok(Err("left a scripted reply unused".into()));
        }
        if scenario != "one-line" && !last_request_has(&models, NEEDLE) {
            return Ok(Err("the files' contents never reached the model".into()));
        }
        let Some(last_byte) = models.last_byte_before(measured.shown) else {
            return Ok(Err("the answer was shown before the model sent it".into()));
        };
        let (requests, request_bytes) = requests_since(&models, before);
        if run > 0 {
            samples.push(Sample {
                wall_ms: measured.wall_ms,
                cpu_ms: measured.cpu_ms,
                peak_rss_kib: measured.peak_rss_kib,
                requests,
                request_bytes,
                answer_ms: measured.shown.duration_since(last_byte).as_secs_f64() * 1000.0,
            });
        }
    }
    Ok(Ok(samples))
}

/// Whether the last model request contains `needle`.
fn last_request_has(models: &Models, needle: &str) -> bool {
    models
        .requests()
        .last()
        .is_some_and(|body| body.to_string().contains(needle))
}

fn report(args: &Args, results: &Results) -> Result<()> {
    let mut markdown = String::new();
    let mut json_out = serde_json::Map::new();
    for scenario in &args.scenarios {
        markdown.push_str(&format!(
            "**{scenario}**\n\n| harness | wall ms (median, min–max) | CPU ms | peak RSS MiB | model requests | bytes sent (per request) | last byte → answer shown, ms |\n| --- | --- | --- | --- | --- | --- | --- |\n"
        ));
        let mut figures = serde_json::Map::new();
        for ((s, peer), result) in results {
            if s != scenario {
                continue;
            }
            match result {
                Ok(samples) if !samples.is_empty() => {
                    let wall = stats(samples, |s| s.wall_ms);
                    let cpu = stats(samples, |s| s.cpu_ms);
                    let rss = stats(samples, |s| s.peak_rss_kib as f64 / 1024.0);
                    let req = stats(samples, |s| s.requests as f64);
                    let bytes = stats(samples, |s| s.request_bytes as f64);
                    let answer = stats(samples, |s| s.answer_ms);
                    markdown.push_str(&format!(
                        "| `{peer}` | {:.0} ({:.0}–{:.0}) | {:.0} | {:.1} ({:.1}–{:.1}) | {:.0} | {:.0} ({:.0}) | {:.1} ({:.1}–{:.1}) |\n",
                        wall.0, wall.1, wall.2, cpu.0, rss.0, rss.1, rss.2, req.0, bytes.0,
                        bytes.0 / req.0.max(1.0), answer.0, answer.1, answer.2
                    ));
                    figures.insert(
                        peer.clone(),
                        json!({"runs": samples.len(), "wall_ms": wall, "cpu_ms": cpu,
                               "peak_rss_mib": rss, "requests": req.0, "request_bytes": bytes.0,
                               "answer_shown_ms": answer}),
                    );
                }
                Ok(_) => {}
                Err(why) => {
                    markdown.push_str(&format!("| `{peer}` | — | — | — | — | — | {why} |\n"));
                    figures.insert(peer.clone(), json!({"error": why}));
                }
            }
        }
        markdown.push('\n');
        json_out.insert(scenario.clone(), Value::Object(figures));
    }
    println!("{markdown}");
    if let Some(path) = &args.json {
        std::fs::write(
            path,
            serde_json::to_string_pretty(&Value::Object(json_out))?,
        )?;
    }
    if let Some(path) = &args.markdown {
        std::fs::write(path, markdown)?;
    }
    Ok(())
}

/// The regression guard: boocode must stay this far ahead of opencode.
fn check(args: &Args, results: &Results) -> Result<()> {
    if args.min_speedup.is_none() && args.min_leaner.is_none() {
        return Ok(());
    }
    let figures = |peer: &str| -> Result<(f64, f64)> {
        match results.get(&("one-line".to_owned(), peer.to_owned())) {
            Some(Ok(samples)) if !samples.is_empty() => Ok((
                stats(samples, |s| s.wall_ms).0,
                stats(samples, |s| s.peak_rss_kib as f64).0,
            )),
            Some(Err(why)) => bail!("{peer} could not be measured: {why}"),
            _ => bail!("{peer} was not measured in the one-line scenario"),
        }
    };
    let (ours, theirs) = (figures("boocode")?, figures("opencode")?);
    let (speedup, leaner) = (theirs.0 / ours.0, theirs.1 / ours.1);
    println!("boocode vs opencode one-shot: {speedup:.1}x faster, {leaner:.1}x leaner");
    if let Some(min) = args.min_speedup
        && speedup < min
    {
        bail!("boocode is only {speedup:.1}x faster than opencode (floor {min}x)");
    }
    if let Some(min) = args.min_leaner
        && leaner < min
    {
        bail!("boocode is only {leaner:.1}x leaner than opencode (floor {min}x)");
    }
    Ok(())
}
