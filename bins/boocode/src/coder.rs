//! The command-line client of a running server — the coder daemon (`boocode-coder`, the default)
//! or the workspace server: `dispatch`, `inbox`, `pending`, `apply`, `reject` and `rewind`, over
//! the same REST routes and session WebSocket the web UI uses, with the wire types of
//! `boocode_core::protocol`.

use crate::render::{Mode, Printer};
use crate::run::exit;
use anyhow::{Context, Result, bail};
use boocode_core::protocol::{
    ChangeReport, ChangeSelection, ChangeView, InboxAnswer, InboxItem, NewChat, PostMessage,
    Posted, SessionCreated,
};
use boocode_core::{
    AgentEvent, Chat, ChatId, EventSink, MessageId, MessageStatus, PermissionDecision, Project,
    Role, SessionFrame, TurnOutcome,
};
use clap::Args;
use futures::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Where the server is.
#[derive(Debug, Clone, Args)]
pub(crate) struct DaemonArgs {
    /// The coder daemon's (or a BooCode server's) URL. Its token comes from
    /// BOOCODE_CODER_TOKEN or BOOCODE_AUTH_TOKEN.
    #[arg(
        long = "daemon",
        env = "BOOCODE_CODER_URL",
        default_value = "http://127.0.0.1:7411"
    )]
    url: String,
    /// The project [default: the daemon's one project, or the one whose root is the working
    /// directory].
    #[arg(long)]
    project: Option<String>,
}

/// `boocode dispatch`.
#[derive(Debug, Args)]
pub(crate) struct DispatchArgs {
    #[command(flatten)]
    daemon: DaemonArgs,
    /// The provider that runs it (`boocode`, `claude`, `claude-acp`, `opencode`, …).
    #[arg(long, default_value = "boocode")]
    provider: String,
    /// `review` (changes wait in the queue), `auto-apply`, or `ask` (read-only).
    #[arg(long, default_value = "review")]
    mode: String,
    /// Model id.
    #[arg(long)]
    model: Option<String>,
    /// Thinking level: off, low, medium, high.
    #[arg(long)]
    thinking: Option<String>,
    /// An agent definition to run with (`orchestrator` delegates subtasks to child chats).
    #[arg(long)]
    agent: Option<String>,
    /// Send the prompt to this existing chat instead of starting one (its settings stay).
    #[arg(long)]
    chat: Option<String>,
    /// Post the prompt and return at once, printing the chat's id.
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
    /// Only this chat's changes [default: every chat of the project].
    #[arg(long)]
    chat: Option<String>,
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
    /// The chat whose changes these are.
    #[arg(long)]
    chat: String,
    /// Only these changes [default: all of the chat's].
    ids: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `boocode merge`.
#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    #[command(flatten)]
    daemon: DaemonArgs,
    /// The delegated child chat whose changes go to its parent's pending queue.
    chat: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `boocode merge`: a delegated child's changes become pending changes of its parent.
pub(crate) async fn merge(args: MergeArgs) -> Result<u8> {
    let client = Client::new(&args.daemon);
    let merged: boocode_core::delegation::MergedChild = client
        .post(
            &format!("/api/chats/{}/merge", args.chat),
            &serde_json::json!({}),
        )
        .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&merged)?);
    } else {
        println!(
            "{} change(s) wait for review: boocode pending --chat {}",
            merged.queued, merged.parent
        );
    }
    Ok(0)
}

/// The server's error body.
#[derive(Debug, serde::Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, serde::Deserialize)]
struct ErrorDetail {
    message: String,
}

pub(crate) struct Client {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
    project: Option<String>,
}

impl DaemonArgs {
    /// The server's URL.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The project named on the command line.
    pub(crate) fn project(&self) -> Option<&str> {
        self.project.as_deref()
    }
}

impl Client {
    /// A client of the server at `base` with `token`, for `project`.
    pub(crate) fn at(base: &str, token: Option<String>, project: Option<String>) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            token,
            project,
        }
    }

    pub(crate) fn new(daemon: &DaemonArgs) -> Self {
        Self {
            base: daemon.url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            token: ["BOOCODE_CODER_TOKEN", "BOOCODE_AUTH_TOKEN"]
                .iter()
                .find_map(|k| std::env::var(k).ok().filter(|t| !t.is_empty())),
            project: daemon.project.clone(),
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
    ) -> Result<T> {
        let url = format!("{}{path}", self.base);
        let method_is_get = method == reqwest::Method::GET;
        let mut request = self.http.request(method, &url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        // The server takes state changes as JSON only; a request without a body sends `{}`.
        if let Some(body) = body.or_else(|| (!method_is_get).then(|| "{}".to_owned())) {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await.map_err(|e| {
            anyhow::anyhow!(
                "cannot reach the server at {}: {} (start it with `boocode-coder`)",
                self.base,
                root_cause(&e)
            )
        })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .context("reading the server's answer")?;
        if !status.is_success() {
            let message = serde_json::from_str::<ErrorBody>(&text)
                .map(|b| b.error.message)
                .unwrap_or(text);
            bail!("{message} (HTTP {})", status.as_u16());
        }
        serde_json::from_str(&text)
            .with_context(|| format!("the server's answer to {path} is not what this CLI expects"))
    }

    pub(crate) async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call(reqwest::Method::DELETE, path, None).await
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub(crate) async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T> {
        self.call(
            reqwest::Method::POST,
            path,
            Some(serde_json::to_string(body)?),
        )
        .await
    }

    /// The project to work on: `--project`, the server's only project, or the one whose root
    /// is the working directory.
    pub(crate) async fn project(&self) -> Result<Project> {
        let projects: Vec<Project> = self.get("/api/projects").await?;
        if let Some(wanted) = &self.project {
            return projects
                .into_iter()
                .find(|p| p.id.to_string() == *wanted || p.name == *wanted)
                .with_context(|| format!("the server has no project {wanted:?}"));
        }
        if let [only] = projects.as_slice() {
            return Ok(only.clone());
        }
        let cwd = std::env::current_dir()
            .ok()
            .and_then(|d| d.canonicalize().ok());
        let names: Vec<String> = projects
            .iter()
            .map(|p| format!("{} ({})", p.name, p.root))
            .collect();
        projects
            .into_iter()
            .find(|p| cwd.as_deref() == Some(std::path::Path::new(&p.root)))
            .with_context(|| {
                format!(
                    "the server has {} projects and none is the working directory; pass --project (one of: {})",
                    names.len(),
                    names.join(", ")
                )
            })
    }
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The first line of `prompt`, cut to 60 characters: the new session's title.
pub(crate) fn title_of(prompt: &str) -> String {
    let line = prompt.lines().next().unwrap_or_default().trim();
    let mut title: String = line.chars().take(60).collect();
    if title.len() < line.len() {
        title.push('…');
    }
    title
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the session's stream and waits for its `ready` frame, so nothing after it is missed.
async fn open_stream(client: &Client, session: &str) -> Result<Socket> {
    let ws_url = format!(
        "{}/api/sessions/{session}/ws",
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
        .with_context(|| format!("cannot follow session {session}"))?;
    while let Some(frame) = next_frame(&mut socket).await? {
        if matches!(frame, SessionFrame::Ready { .. }) {
            return Ok(socket);
        }
    }
    bail!("the server closed the stream of session {session}")
}

/// The next frame, or `None` when the stream ends.
async fn next_frame(socket: &mut Socket) -> Result<Option<SessionFrame>> {
    while let Some(message) = socket.next().await {
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message? {
            return Ok(Some(serde_json::from_str(&text).with_context(|| {
                format!("an unexpected frame from the server: {text}")
            })?));
        }
    }
    Ok(None)
}

/// Posts the prompt to a new chat (or `--chat`) and streams its turn until it ends.
pub(crate) async fn dispatch(args: DispatchArgs) -> Result<u8> {
    let client = Client::new(&args.daemon);
    let chat: Chat = match &args.chat {
        Some(id) => client.get(&format!("/api/chats/{id}")).await?,
        None => {
            let project = client.project().await?;
            let body = NewChat {
                title: Some(title_of(&args.prompt)),
                provider: Some(args.provider.clone()),
                mode: Some(parse_word(&args.mode, "mode")?),
                model: args.model.clone(),
                thinking: args
                    .thinking
                    .as_deref()
                    .map(|t| parse_word(t, "thinking"))
                    .transpose()?,
                agent: args.agent.clone(),
                ..NewChat::default()
            };
            let created: SessionCreated = client
                .post(&format!("/api/projects/{}/sessions", project.id), &body)
                .await?;
            created.chat
        }
    };
    let id = chat.id;
    let mut socket = if args.detach {
        None
    } else {
        Some(open_stream(&client, &chat.session_id.to_string()).await?)
    };
    let posted: Posted = client
        .post(
            &format!("/api/chats/{id}/messages"),
            &PostMessage {
                text: args.prompt.clone(),
                steer: false,
            },
        )
        .await?;
    let Some(socket) = socket.as_mut() else {
        println!("{id}");
        return Ok(exit::COMPLETED);
    };
    eprintln!("chat {id}");
    let (mut target, mut queued): (Option<MessageId>, Option<String>) = match posted {
        Posted::Started(turn) => (Some(turn.assistant_message.id), None),
        Posted::Queued { queued } => {
            eprintln!("a turn is running in this chat: the prompt waits and runs next");
            (None, Some(queued.id))
        }
        Posted::Steering { .. } => bail!("the server took the prompt as steering"),
        _ => bail!("the server answered with something this CLI does not know"),
    };
    follow(&client, socket, id, &mut target, &mut queued, args.json).await
}

/// Parses a snake_case word (`auto-apply` works too) as `T`.
fn parse_word<T: DeserializeOwned>(word: &str, what: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(word.replace('-', "_")))
        .map_err(|_| anyhow::anyhow!("unknown {what} {word:?}"))
}

/// Prints the events of the chat's turn (`target`, or the one the queued message starts) until
/// its message is finished; the exit status follows the turn's outcome.
async fn follow(
    client: &Client,
    socket: &mut Socket,
    chat: ChatId,
    target: &mut Option<MessageId>,
    queued: &mut Option<String>,
    json: bool,
) -> Result<u8> {
    let printer = Printer::new(if json { Mode::Json } else { Mode::Human }, None);
    let mut outcome = None;
    let mut interrupted = false;
    loop {
        let frame = tokio::select! {
            f = next_frame(socket) => f?,
            _ = tokio::signal::ctrl_c(), if !interrupted => {
                interrupted = true;
                eprintln!("stopping chat {chat}…");
                let _: serde_json::Value = client.post(&format!("/api/chats/{chat}/stop"), &serde_json::json!({})).await?;
                continue;
            }
        };
        let Some(frame) = frame else {
            bail!("the server closed the stream of chat {chat}");
        };
        match frame {
            SessionFrame::QueueChanged { chat_id, queue }
                if chat_id == chat
                    && queued
                        .as_ref()
                        .is_some_and(|q| !queue.iter().any(|m| &m.id == q)) =>
            {
                // Taken to run: the next assistant row is this prompt's turn.
                *queued = None;
            }
            SessionFrame::MessageCreated { chat_id, message }
                if chat_id == chat
                    && target.is_none()
                    && queued.is_none()
                    && message.role == Role::Assistant =>
            {
                *target = Some(message.id);
            }
            SessionFrame::Event {
                chat_id,
                message_id,
                event,
                ..
            } if chat_id == chat && Some(message_id) == *target => {
                match &event {
                    AgentEvent::TurnFinished { outcome: o, .. } => outcome = Some(*o),
                    AgentEvent::PermissionRequested {
                        request_id, tool, ..
                    } if !json => eprintln!(
                        "waiting for you: {tool} — answer with `boocode inbox --answer {request_id} --decision allow_once` (or deny)"
                    ),
                    _ => {}
                }
                printer.emit(event);
            }
            SessionFrame::MessageFinished { chat_id, message }
                if chat_id == chat && Some(message.id) == *target =>
            {
                return finish(client, chat, message.status, outcome).await;
            }
            _ => {}
        }
    }
}

async fn finish(
    client: &Client,
    chat: ChatId,
    status: MessageStatus,
    outcome: Option<TurnOutcome>,
) -> Result<u8> {
    let pending: Vec<ChangeView> = client
        .get(&format!("/api/chats/{chat}/changes?state=pending"))
        .await?;
    if !pending.is_empty() {
        eprintln!(
            "{} change(s) pending review: `boocode pending --chat {chat} --diff`, then `boocode apply --chat {chat}`",
            pending.len()
        );
    }
    Ok(match (status, outcome) {
        (MessageStatus::Cancelled, _) | (_, Some(TurnOutcome::Cancelled)) => exit::CANCELLED,
        (MessageStatus::Failed, _) | (_, Some(TurnOutcome::Error)) => exit::ERROR,
        (_, Some(TurnOutcome::Completed) | None) => exit::COMPLETED,
        (_, Some(_)) => exit::STOPPED_EARLY,
    })
}

/// Lists the prompts waiting across every chat, or answers one.
pub(crate) async fn inbox(args: InboxArgs) -> Result<u8> {
    let client = Client::new(&args.daemon);
    if let (Some(request), Some(decision)) = (&args.answer, &args.decision) {
        let decision: PermissionDecision = parse_word(decision, "decision")?;
        let _: InboxItem = client
            .post(&format!("/api/inbox/{request}"), &InboxAnswer { decision })
            .await?;
        eprintln!(
            "answered {request}: {}",
            args.decision.as_deref().unwrap_or_default()
        );
        return Ok(exit::COMPLETED);
    }
    let items: Vec<InboxItem> = client.get("/api/inbox").await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(exit::COMPLETED);
    }
    if items.is_empty() {
        eprintln!("nothing is waiting");
    }
    for item in &items {
        println!(
            "{}  chat {}  {}  {}: {}",
            item.request_id, item.chat_id, item.provider, item.tool, item.summary
        );
    }
    Ok(exit::COMPLETED)
}

/// Lists a chat's changes, or every chat's of the project.
pub(crate) async fn pending(args: PendingArgs) -> Result<u8> {
    let client = Client::new(&args.daemon);
    let state = if args.all { "all" } else { "pending" };
    let changes: Vec<ChangeView> = match &args.chat {
        Some(chat) => {
            client
                .get(&format!("/api/chats/{chat}/changes?state={state}"))
                .await?
        }
        None => {
            let project = client.project().await?;
            client
                .get(&format!(
                    "/api/projects/{}/changes?state={state}",
                    project.id
                ))
                .await?
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&changes)?);
        return Ok(exit::COMPLETED);
    }
    if changes.is_empty() {
        eprintln!("no changes");
    }
    for change in &changes {
        let chat = change.chat_id;
        println!(
            "{}  {:<8}  chat {chat}  {}",
            change.id,
            change.state.as_str(),
            change.path
        );
        if args.diff {
            print!("{}", change.diff);
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

/// Applies, rejects or rewinds a chat's changes. Exit 1 when a file was refused.
pub(crate) async fn change(op: ChangeOp, args: ChangeArgs) -> Result<u8> {
    let client = Client::new(&args.daemon);
    let (path, verb) = match op {
        ChangeOp::Apply => ("apply", "applied"),
        ChangeOp::Reject => ("reject", "rejected"),
        ChangeOp::Rewind => ("rewind", "reverted"),
    };
    let report: ChangeReport = client
        .post(
            &format!("/api/chats/{}/changes/{path}", args.chat),
            &ChangeSelection {
                ids: (!args.ids.is_empty()).then(|| args.ids.clone()),
            },
        )
        .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    eprintln!("{verb} {} change(s)", report.done.len());
    for r in &report.refused {
        eprintln!("refused {}: {}", r.path, r.reason);
    }
    Ok(if report.refused.is_empty() {
        exit::COMPLETED
    } else {
        exit::ERROR
    })
}
