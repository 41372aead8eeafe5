//! Server mode: `boocode-server` and `opencode serve`, each started fresh on loopback with the
//! scripted model, serve `--sessions` one-prompt sessions at once (create a session, send the
//! prompt, wait for the answer). Measured per run: the wall time for all of them, each
//! session's own latency, the server's CPU time during the load, the peak memory of its process
//! tree, and how long it took from start to accepting requests.

use crate::models::Models;
use crate::procs::{tree, watch};
use crate::shared::{isolate_opencode, post, ticks_ms};
use crate::{ANSWER, Args, PROMPT, median, stats, table};
use anyhow::{Context, Result, bail};
use boocode_testkit::{Reply, opencode_config};
use futures::StreamExt;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

/// One run of one server.
#[derive(Debug, Clone)]
pub(crate) struct ServerSample {
    /// From the first request to the last answer.
    wall_ms: f64,
    /// Each session's time from its first request to its answer.
    session_ms: Vec<f64>,
    /// CPU time of the server's process tree during the load.
    cpu_ms: f64,
    /// Peak memory of the server's process tree (summed high-water marks).
    peak_rss_kib: u64,
    /// From spawning the server to its "listening" line.
    ready_ms: f64,
}

/// The servers compared.
pub(crate) const SERVERS: [&str; 2] = ["boocode", "opencode"];

/// A started server: the child (killed on drop), its pid and base URL, and how long it took.
pub(crate) struct Started {
    pub(crate) child: tokio::process::Child,
    pub(crate) pid: u32,
    pub(crate) base: String,
    pub(crate) ready_ms: f64,
}

/// Spawns `command` and waits for the line that names its address (on stdout or stderr).
async fn start(mut command: tokio::process::Command, marker: &str) -> Result<Started> {
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let begun = Instant::now();
    let mut child = command.spawn().context("cannot start the server")?;
    let pid = child.id().context("no pid")?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let out = child.stdout.take().context("no stdout")?;
    let err = child.stderr.take().context("no stderr")?;
    for pipe in [
        Box::new(out) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
        Box::new(err),
    ] {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(pipe).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let _ = tx.send(line);
            }
        });
    }
    drop(tx);
    let wait = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = rx.recv().await {
            if let Some(at) = line.split(marker).nth(1) {
                return Some(at.trim().to_owned());
            }
        }
        None
    });
    let addr = wait
        .await
        .context("no listening line within 60 s")?
        .context("the server exited before listening")?;
    let ready_ms = begun.elapsed().as_secs_f64() * 1000.0;
    // Keep draining its output so that it never blocks on a full pipe.
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    Ok(Started {
        child,
        pid,
        base: format!("http://{addr}"),
        ready_ms,
    })
}

/// Starts `boocode-server` with the SQLite file `dir/db.sqlite` (made when missing).
pub(crate) async fn start_boocode(args: &Args, models: &Models, dir: &Path) -> Result<Started> {
    let mut command = tokio::process::Command::new(&args.server);
    command
        .args(["--bind", "127.0.0.1:0", "--model-url", &models.openai.url()])
        .args(["--log", "warn", "--database"])
        .arg(format!("sqlite://{}", dir.join("db.sqlite").display()))
        .env("BOOCODE_ALLOWED_ROOTS", dir)
        .env("HOME", dir.join("home"));
    start(command, "listening on http://").await
}

/// Adds `dir/work` as a project of a `boocode-server`; its id.
pub(crate) async fn add_project(http: &reqwest::Client, base: &str, dir: &Path) -> Result<String> {
    let project = post(
        http,
        &format!("{base}/api/projects"),
        json!({"path": dir.join("work")}),
    )
    .await?;
    Ok(project["id"].as_str().context("project id")?.to_owned())
}

impl Started {
    /// Stops the server as a user would (SIGTERM), and waits for it to exit.
    pub(crate) async fn stop(mut self) -> Result<()> {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            self.child.kill().await?;
        }
        Ok(())
    }
}

/// A chat on one of the servers.
pub(crate) enum Chat {
    /// A `boocode-server` session and its chat.
    Boocode { session: String, chat: String },
    /// An `opencode serve` session.
    Opencode { id: String },
}

/// Opens a new chat: a session in `project` on `boocode-server`, a session on `opencode serve`.
pub(crate) async fn open_chat(
    http: &reqwest::Client,
    base: &str,
    project: Option<&str>,
) -> Result<Chat> {
    Ok(match project {
        Some(project) => {
            let created = post(
                http,
                &format!("{base}/api/projects/{project}/sessions"),
                json!({"title": "bench"}),
            )
            .await?;
            Chat::Boocode {
                session: created["session"]["id"]
                    .as_str()
                    .context("session id")?
                    .to_owned(),
                chat: created["chat"]["id"]
                    .as_str()
                    .context("chat id")?
                    .to_owned(),
            }
        }
        None => {
            let session = post(http, &format!("{base}/session"), json!({})).await?;
            Chat::Opencode {
                id: session["id"].as_str().context("session id")?.to_owned(),
            }
        }
    })
}

/// Sends `text` to `chat` and waits for the answer, which must contain [`ANSWER`].
///
/// On `boocode-server` it watches the session's WebSocket and posts the message; the answer
/// is the `message_finished` frame, sent once the message is stored (the streamed
/// `turn_finished` event comes before). On `opencode serve` the answer is the POST's reply.
pub(crate) async fn prompt(
    http: &reqwest::Client,
    base: &str,
    chat: &Chat,
    text: &str,
) -> Result<()> {
    let answer = match chat {
        Chat::Boocode { session, chat } => {
            let ws_url = format!("{}/api/sessions/{session}/ws", base.replace("http", "ws"));
            let (mut ws, _) = tokio_tungstenite::connect_async(ws_url).await?;
            post(
                http,
                &format!("{base}/api/chats/{chat}/messages"),
                json!({"text": text}),
            )
            .await?;
            loop {
                let frame = tokio::time::timeout(Duration::from_secs(60), ws.next())
                    .await
                    .context("no message_finished within 60 s")?
                    .context("the WebSocket closed")??;
                if let tokio_tungstenite::tungstenite::Message::Text(text) = frame
                    && let Ok(value) = serde_json::from_str::<Value>(&text)
                    && value["type"] == "message_finished"
                {
                    break value;
                }
            }
        }
        Chat::Opencode { id } => {
            post(
                http,
                &format!("{base}/session/{id}/message"),
                json!({"parts": [{"type": "text", "text": text}],
                       "model": {"providerID": "scripted", "modelID": "scripted-model"}}),
            )
            .await?
        }
    };
    if !answer.to_string().contains(ANSWER) {
        bail!("the reply has no answer: {:.400}", answer.to_string());
    }
    Ok(())
}

/// One session from scratch: open a chat, send the prompt, wait for the answer; its time.
async fn one_session(http: reqwest::Client, base: String, project: Option<String>) -> Result<f64> {
    let begun = Instant::now();
    let chat = open_chat(&http, &base, project.as_deref()).await?;
    prompt(&http, &base, &chat, PROMPT).await?;
    Ok(begun.elapsed().as_secs_f64() * 1000.0)
}

/// Starts `opencode serve` in `dir/work` with the scripted provider.
pub(crate) async fn start_opencode(args: &Args, models: &Models, dir: &Path) -> Result<Started> {
    let (home, work) = (dir.join("home"), dir.join("work"));
    let program = args.peers.join("opencode");
    if !program.exists() {
        bail!("not installed (npm install in tests/peers)");
    }
    let mut config = opencode_config(&models.openai.url());
    config["permission"]["external_directory"] = json!("allow");
    let mut command = tokio::process::Command::new(program.canonicalize()?);
    isolate_opencode(&mut command, &home, &work, &config)?;
    command.args(["serve", "--port", "0", "--hostname", "127.0.0.1"]);
    start(command, "listening on http://").await
}

/// CPU ticks of a process tree (all members' utime + stime).
pub(crate) fn tree_ticks(pid: u32) -> u64 {
    tree(pid).values().map(|(ticks, _)| ticks).sum()
}

/// One run: a fresh `server` serving `args.sessions` sessions at once.
async fn run_once(args: &Args, server: &str) -> Result<ServerSample> {
    let models = Models::start().await?;
    for _ in 0..args.sessions {
        models.openai.push(Reply::text(ANSWER));
    }
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("home"))?;
    std::fs::create_dir_all(dir.path().join("work/src"))?;
    std::fs::write(dir.path().join("work/src/main.rs"), "fn main() {}\n")?;
    let http = reqwest::Client::new();
    let (started, project) = match server {
        "boocode" => {
            let s = start_boocode(args, &models, dir.path()).await?;
            let p = add_project(&http, &s.base, dir.path()).await?;
            (s, Some(p))
        }
        _ => (start_opencode(args, &models, dir.path()).await?, None),
    };
    let ticks_before = tree_ticks(started.pid);
    let begun = Instant::now();
    let mut sessions = tokio::task::JoinSet::new();
    for _ in 0..args.sessions {
        let (http, base) = (http.clone(), started.base.clone());
        sessions.spawn(one_session(http, base, project.clone()));
    }
    let all = async {
        let mut session_ms = Vec::new();
        while let Some(done) = sessions.join_next().await {
            session_ms.push(done??);
        }
        anyhow::Ok(session_ms)
    };
    let (session_ms, watched) = watch(started.pid, all).await;
    let session_ms = session_ms?;
    let wall_ms = begun.elapsed().as_secs_f64() * 1000.0;
    let ticks_after = tree_ticks(started.pid).max(watched.ticks);
    if models.remaining() > 0 {
        bail!("{} scripted answers were not asked for", models.remaining());
    }
    Ok(ServerSample {
        wall_ms,
        session_ms,
        cpu_ms: ticks_ms(ticks_after.saturating_sub(ticks_before)),
        peak_rss_kib: watched.peak_kib,
        ready_ms: started.ready_ms,
    })
}

/// One warm-up run, then `args.runs` measured ones of each server.
pub(crate) async fn run(args: &Args) -> Vec<(String, Result<Vec<ServerSample>, String>)> {
    let mut out = Vec::new();
    for server in SERVERS {
        if !args.only.is_empty() && !args.only.iter().any(|o| o == server) {
            continue;
        }
        let mut samples = Vec::new();
        let mut failed = None;
        for run in 0..=args.runs {
            match run_once(args, server).await {
                Ok(sample) if run > 0 => samples.push(sample),
                Ok(_) => {}
                Err(e) => {
                    failed = Some(format!("failed: {e:#}"));
                    break;
                }
            }
        }
        eprintln!("sessions / {server}: {} runs", samples.len());
        out.push((server.to_owned(), failed.map_or(Ok(samples), Err)));
    }
    out
}

/// How the reports name a server.
pub(crate) fn label(server: &str) -> String {
    match server {
        "boocode" => "`boocode-server`".to_owned(),
        other => format!("`{other} serve`"),
    }
}

/// The Markdown table and the JSON figures of server mode.
pub(crate) fn report(
    sessions: usize,
    results: &[(String, Result<Vec<ServerSample>, String>)],
) -> (String, Value) {
    table(
        &format!("**sessions** ({sessions} one-prompt sessions at once against one server)"),
        &[
            "server",
            "wall ms for all (median, min–max)",
            "one session's ms (median, slowest)",
            "server CPU ms",
            "peak RSS MiB",
            "start to listening, ms",
        ],
        results.iter().map(|(s, r)| (s.as_str(), r)),
        label,
        |samples: &[ServerSample]| {
            let wall = stats(samples, |s| s.wall_ms);
            let cpu = stats(samples, |s| s.cpu_ms);
            let rss = stats(samples, |s| s.peak_rss_kib as f64 / 1024.0);
            let ready = stats(samples, |s| s.ready_ms);
            let mut each: Vec<f64> = samples.iter().flat_map(|s| s.session_ms.clone()).collect();
            let one = median(&mut each);
            let slowest = each.last().copied().unwrap_or(0.0);
            let cells = vec![
                format!("{:.0} ({:.0}–{:.0})", wall.0, wall.1, wall.2),
                format!("{one:.0} ({slowest:.0})"),
                format!("{:.0}", cpu.0),
                format!("{:.1} ({:.1}–{:.1})", rss.0, rss.1, rss.2),
                format!("{:.0}", ready.0),
            ];
            let figures = json!({"runs": samples.len(), "wall_ms": wall,
                "session_ms": [one, slowest], "cpu_ms": cpu, "peak_rss_mib": rss,
                "ready_ms": ready});
            (cells, figures)
        },
    )
}
