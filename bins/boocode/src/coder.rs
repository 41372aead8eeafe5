//! The coder daemon's command-line client: `dispatch`, `inbox`, `pending`, `apply`, `reject`
//! and `rewind`, against a running `boocode-coder`.

use crate::render::{Mode, Printer};
use crate::run::exit;
use anyhow::{Context, Result, bail};
use boocode_core::{AgentEvent, EventSink, TurnOutcome};
use clap::Args;
use futures::StreamExt;
use serde_json::{Value, json};

/// Where the daemon is.
#[derive(Debug, Clone, Args)]
pub(crate) struct DaemonArgs {
    /// The coder daemon's URL.
    #[arg(
        long = "daemon",
        env = "BOOCODE_CODER_URL",
        default_value = "http://127.0.0.1:7411"
    )]
    url: String,
}

/// `boocode dispatch`.
#[derive(Debug, Args)]
pub(crate) struct DispatchArgs {
    #[command(flatten)]
    daemon: DaemonArgs,
    /// The provider that runs it (`boocode`, `claude`, `claude-acp`, `opencode`, …).
    #[arg(long, default_value = "boocode")]
    provider: String,
    /// `review` (changes wait in the queue) or `auto-apply`.
    #[arg(long, default_value = "review")]
    mode: String,
    /// Model id.
    #[arg(long)]
    model: Option<String>,
    /// Thinking level: off, low, medium, high.
    #[arg(long)]
    thinking: Option<String>,
    /// Send the prompt to this existing run instead of starting one.
    #[arg(long)]
    run: Option<String>,
    /// Start the run and return at once, printing its id.
    #[arg(long)]
    detach: bool,
    /// Print events as JSON lines.
    #[arg(long)]
    json: bool,
    /// What to do.
    prompt: String,
}

/// `boocode inbox`.
#[derive(Debug, Args)]
pub(crate) struct InboxArgs {
    #[command(flatten)]
    daemon: DaemonArgs,
    /// Answer this waiting prompt (its request id) instead of listing.
    #[arg(long, requires = "decision")]
    answer: Option<String>,
    /// The answer: allow_once, allow_session, deny or deny_and_stop.
    #[arg(long)]
    decision: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `boocode pending`.
#[derive(Debug, Args)]
pub(crate) struct PendingArgs {
    #[command(flatten)]
    daemon: DaemonArgs,
    /// Only this run's changes.
    #[arg(long)]
    run: Option<String>,
    /// Every state, not only pending.
    #[arg(long)]
    all: bool,
    /// Show each change's diff.
    #[arg(long)]
    diff: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `boocode apply`, `reject` and `rewind`.
#[derive(Debug, Args)]
pub(crate) struct ChangeArgs {
    #[command(flatten)]
    daemon: DaemonArgs,
    /// The run whose changes these are.
    #[arg(long)]
    run: String,
    /// Only these changes [default: all of the run's].
    ids: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

struct Client {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

impl Client {
    fn new(daemon: &DaemonArgs) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self {
            base: daemon.url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            token: std::env::var("BOOCODE_CODER_TOKEN")
                .ok()
                .filter(|t| !t.is_empty()),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let method_is_get = method == reqwest::Method::GET;
        let mut request = self.http.request(method, &url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        // The daemon takes state changes as JSON only; a request without a body sends `{}`.
        if let Some(body) = body.or_else(|| (!method_is_get).then(|| serde_json::json!({}))) {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.map_err(|e| {
            anyhow::anyhow!(
                "cannot reach the coder daemon at {}: {} (start it with `boocode-coder`)",
                self.base,
                root_cause(&e)
            )
        })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .context("reading the daemon's answer")?;
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if !status.is_success() {
            let message = value["error"]["message"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| value.to_string());
            bail!("{message} (HTTP {})", status.as_u16());
        }
        Ok(value)
    }

    async fn get(&self, path: &str) -> Result<Value> {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Starts (or continues) a run and streams it until its prompt ends.
pub(crate) async fn dispatch(args: DispatchArgs) -> Result<u8> {
    let client = Client::new(&args.daemon);
    let mode = args.mode.replace('-', "_");
    let (id, after) = match &args.run {
        Some(id) => {
            let before = client.get(&format!("/api/runs/{id}")).await?;
            client
                .post(
                    &format!("/api/runs/{id}/prompt"),
                    json!({"prompt": args.prompt}),
                )
                .await?;
            (id.clone(), before["events"].as_u64().unwrap_or(0))
        }
        None => {
            let run = client
                .post(
                    "/api/runs",
                    json!({
                        "provider": args.provider,
                        "prompt": args.prompt,
                        "mode": mode,
                        "model": args.model,
                        "thinking": args.thinking,
                    }),
                )
                .await?;
            let id = run["id"].as_str().context("the daemon sent no run id")?;
            (id.to_owned(), 0)
        }
    };
    if args.detach {
        println!("{id}");
        return Ok(exit::COMPLETED);
    }
    eprintln!("run {id}");
    let printer = Printer::new(if args.json { Mode::Json } else { Mode::Human }, None);
    let ws_url = format!(
        "{}/api/runs/{id}/ws?after={after}",
        client.base.replacen("http", "ws", 1)
    );
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            ws_url.as_str(),
        )?;
    if let Some(token) = &client.token {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse()?);
    }
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .with_context(|| format!("cannot follow run {id}"))?;
    let mut interrupted = false;
    loop {
        let message = tokio::select! {
            m = socket.next() => m,
            _ = tokio::signal::ctrl_c(), if !interrupted => {
                interrupted = true;
                eprintln!("stopping run {id}…");
                client.post(&format!("/api/runs/{id}/cancel"), json!({})).await?;
                continue;
            }
        };
        let Some(message) = message else {
            bail!("the daemon closed the stream of run {id}");
        };
        let tokio_tungstenite::tungstenite::Message::Text(text) = message? else {
            continue;
        };
        let frame: Value = serde_json::from_str(&text)?;
        if frame["kind"] == "event" {
            if let Ok(event) = serde_json::from_value::<AgentEvent>(frame["event"].clone()) {
                printer.emit(event);
            }
            continue;
        }
        let run = &frame["run"];
        match run["status"].as_str() {
            Some("running") | None => continue,
            Some("failed") => {
                eprintln!(
                    "error: {}",
                    run["error"].as_str().unwrap_or("the run failed")
                );
                return Ok(exit::ERROR);
            }
            Some(_) => {
                let pending = client
                    .get(&format!("/api/changes?run={id}&state=pending"))
                    .await?;
                let n = pending.as_array().map_or(0, Vec::len);
                if n > 0 {
                    eprintln!(
                        "{n} change(s) pending review: `boocode pending --run {id} --diff`, then `boocode apply --run {id}`"
                    );
                }
                let outcome: Option<TurnOutcome> =
                    serde_json::from_value(run["last_outcome"].clone()).ok();
                return Ok(match outcome {
                    Some(TurnOutcome::Completed) => exit::COMPLETED,
                    Some(TurnOutcome::Cancelled) => exit::CANCELLED,
                    Some(TurnOutcome::Error) | None => exit::ERROR,
                    Some(_) => exit::STOPPED_EARLY,
                });
            }
        }
    }
}

/// Lists the prompts waiting across runs, or answers one.
pub(crate) async fn inbox(args: InboxArgs) -> Result<u8> {
    let client = Client::new(&args.daemon);
    let items = client.get("/api/inbox").await?;
    let list = items.as_array().cloned().unwrap_or_default();
    if let (Some(request), Some(decision)) = (&args.answer, &args.decision) {
        let item = list
            .iter()
            .find(|i| i["request_id"] == request.as_str())
            .with_context(|| format!("no prompt {request} is waiting"))?;
        let run = item["run_id"].as_str().unwrap_or_default();
        client
            .post(
                &format!("/api/runs/{run}/permissions/{request}"),
                json!({"decision": decision}),
            )
            .await?;
        eprintln!("answered {request}: {decision}");
        return Ok(exit::COMPLETED);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(exit::COMPLETED);
    }
    if list.is_empty() {
        eprintln!("nothing is waiting");
    }
    for item in &list {
        println!(
            "{}  run {}  {}: {}",
            item["request_id"].as_str().unwrap_or_default(),
            item["run_id"].as_str().unwrap_or_default(),
            item["tool"].as_str().unwrap_or_default(),
            item["summary"].as_str().unwrap_or_default()
        );
    }
    Ok(exit::COMPLETED)
}

/// Lists pending changes.
pub(crate) async fn pending(args: PendingArgs) -> Result<u8> {
    let client = Client::new(&args.daemon);
    let mut query = vec![format!(
        "state={}",
        if args.all { "all" } else { "pending" }
    )];
    if let Some(run) = &args.run {
        query.push(format!("run={run}"));
    }
    let changes = client
        .get(&format!("/api/changes?{}", query.join("&")))
        .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&changes)?);
        return Ok(exit::COMPLETED);
    }
    let list = changes.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        eprintln!("no changes");
    }
    for change in &list {
        println!(
            "{}  {:<8}  run {}  {}",
            change["id"].as_str().unwrap_or_default(),
            change["state"].as_str().unwrap_or_default(),
            change["run_id"].as_str().unwrap_or_default(),
            change["path"].as_str().unwrap_or_default()
        );
        if args.diff {
            print!("{}", change["diff"].as_str().unwrap_or_default());
        }
    }
    Ok(exit::COMPLETED)
}

/// Which queue operation.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ChangeOp {
    Apply,
    Reject,
    Rewind,
}

/// Applies, rejects or rewinds a run's changes. Exit 1 when a file was refused.
pub(crate) async fn change(op: ChangeOp, args: ChangeArgs) -> Result<u8> {
    let client = Client::new(&args.daemon);
    let path = match op {
        ChangeOp::Apply => "apply",
        ChangeOp::Reject => "reject",
        ChangeOp::Rewind => "rewind",
    };
    let ids = (!args.ids.is_empty()).then_some(&args.ids);
    let report = client
        .post(
            &format!("/api/runs/{}/{path}", args.run),
            json!({"ids": ids}),
        )
        .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    let done = report["done"]
        .as_array()
        .or_else(|| report["rejected"].as_array())
        .map_or(0, Vec::len);
    let verb = match op {
        ChangeOp::Apply => "applied",
        ChangeOp::Reject => "rejected",
        ChangeOp::Rewind => "reverted",
    };
    eprintln!("{verb} {done} change(s)");
    let refused = report["refused"].as_array().cloned().unwrap_or_default();
    for r in &refused {
        eprintln!(
            "refused {}: {}",
            r["path"].as_str().unwrap_or_default(),
            r["reason"].as_str().unwrap_or_default()
        );
    }
    Ok(if refused.is_empty() {
        exit::COMPLETED
    } else {
        exit::ERROR
    })
}
