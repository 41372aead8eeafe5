//! Starts the real `boocode-server` binary on an ephemeral port and talks to it over HTTP and
//! WebSocket.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub,
    dead_code,
    clippy::print_stderr
)]

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio_tungstenite::tungstenite::Message as WsMessage;

pub struct Sandbox {
    pub home: tempfile::TempDir,
    pub repos: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        let repos = tempfile::tempdir().unwrap();
        Self { home, repos }
    }

    /// A small repository to point a project at.
    pub fn repo(&self, name: &str) -> PathBuf {
        let dir = self.repos.path().join(name);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/main.rs"), "fn main() {\n    serve();\n}\n").unwrap();
        std::fs::write(
            dir.join("src/server.rs"),
            "pub fn serve() {\n    // port 8080\n}\n",
        )
        .unwrap();
        dir
    }

    pub fn sqlite_url(&self) -> String {
        format!("sqlite://{}", self.home.path().join("boocode.db").display())
    }
}

pub struct Server {
    pub child: Child,
    /// Every line the server logged so far.
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub url: String,
    pub addr: String,
    pub http: reqwest::Client,
    token: Option<String>,
}

pub struct Options<'a> {
    pub database: String,
    pub model_url: String,
    pub bind: &'a str,
    pub env: Vec<(&'a str, String)>,
}

impl<'a> Options<'a> {
    pub fn new(database: String, model_url: String) -> Self {
        Self {
            database,
            model_url,
            bind: "127.0.0.1:0",
            env: Vec::new(),
        }
    }

    /// Adds an environment variable for the server.
    pub fn with_env(mut self, key: &'a str, value: impl Into<String>) -> Self {
        self.env.push((key, value.into()));
        self
    }
}

pub fn command(sandbox: &Sandbox, opts: &Options<'_>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_boocode-server"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", sandbox.home.path())
        .env("XDG_CONFIG_HOME", sandbox.home.path().join("config"))
        .env("XDG_DATA_HOME", sandbox.home.path().join("data"))
        .env("BOOCODE_ALLOWED_ROOTS", sandbox.repos.path())
        .env("BOOCODE_PROJECTS_DIR", sandbox.repos.path().join("new"))
        .env("BOOCODE_LOG", "info,boocode_server=debug")
        .args([
            "--bind",
            opts.bind,
            "--database",
            &opts.database,
            "--model-url",
            &opts.model_url,
        ])
        .kill_on_drop(true);
    for (k, v) in &opts.env {
        cmd.env(k, v);
    }
    cmd
}

impl Server {
    pub async fn start(sandbox: &Sandbox, opts: Options<'_>) -> Server {
        let token = opts
            .env
            .iter()
            .find(|(k, _)| *k == "BOOCODE_AUTH_TOKEN")
            .map(|(_, v)| v.clone());
        let mut child = command(sandbox, &opts)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let startup_log = log.clone();
        let addr = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                startup_log.lock().unwrap().push(line.clone());
                if let Some(rest) = line.strip_prefix("listening on http://") {
                    return rest.trim().to_owned();
                }
            }
            panic!(
                "the server exited before listening: {:?}",
                startup_log.lock().unwrap()
            );
        })
        .await
        .expect("the server did not start within 30 s");
        // Keep draining the log so the server never blocks on a full pipe.
        let sink = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if std::env::var_os("SERVER_LOG").is_some() {
                    eprintln!("[server] {line}");
                }
                sink.lock().unwrap().push(line);
            }
        });
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = addr.rsplit(':').next().unwrap().to_owned();
        Server {
            child,
            log,
            url: format!("http://127.0.0.1:{port}"),
            addr,
            http: reqwest::Client::new(),
            token,
        }
    }

    fn auth(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self
            .auth(self.http.get(format!("{}{path}", self.url)))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn send(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let rb = match method {
            "POST" => self.http.post(format!("{}{path}", self.url)),
            "PUT" => self.http.put(format!("{}{path}", self.url)),
            "PATCH" => self.http.patch(format!("{}{path}", self.url)),
            _ => self.http.delete(format!("{}{path}", self.url)),
        };
        let resp = self
            .auth(rb)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("POST", path, body).await
    }

    /// A project on `repo` with a titled session (so auto-naming stays out of scripts) and its
    /// first chat: (session id, chat id).
    pub async fn session(&self, repo: &Path) -> (String, String) {
        let (status, project) = self.post("/api/projects", json!({ "path": repo })).await;
        assert_eq!(status, 201, "{project}");
        let pid = project["id"].as_str().unwrap();
        let (status, created) = self
            .post(
                &format!("/api/projects/{pid}/sessions"),
                json!({ "title": "test" }),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        (
            created["session"]["id"].as_str().unwrap().to_owned(),
            created["chat"]["id"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn messages(&self, chat: &str) -> Vec<Value> {
        let (status, page) = self.get(&format!("/api/chats/{chat}/messages")).await;
        assert_eq!(status, 200, "{page}");
        page["messages"].as_array().unwrap().clone()
    }

    pub async fn ws(&self, path: &str) -> Ws {
        let url = format!(
            "ws://127.0.0.1:{}{path}",
            self.url.rsplit(':').next().unwrap()
        );
        let mut request =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
                .unwrap();
        if let Some(t) = &self.token {
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {t}").parse().unwrap());
        }
        let (stream, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        Ws { stream }
    }

    /// The log so far, as one string.
    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    pub fn kill9(&mut self) {
        let pid = self.child.id().unwrap();
        std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap();
    }

    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().unwrap();
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .unwrap()
            .unwrap()
    }
}

pub struct Ws {
    pub stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Ws {
    /// The next JSON frame (pings skipped), or None when closed; panics after `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(wait, self.stream.next())
                .await
                .expect("no frame in time")?;
            match msg.ok()? {
                WsMessage::Text(t) => return Some(serde_json::from_str(&t).unwrap()),
                WsMessage::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// Frames until one satisfies `done` (inclusive).
    pub async fn until(&mut self, done: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut frames = Vec::new();
        while let Some(frame) = self.next(Duration::from_secs(30)).await {
            let stop = done(&frame);
            frames.push(frame);
            if stop {
                return frames;
            }
        }
        panic!("the socket closed first; got {frames:?}");
    }

    pub async fn close(mut self) {
        let _ = self.stream.send(WsMessage::Close(None)).await;
    }
}

pub fn is_finished(frame: &Value) -> bool {
    frame["type"] == "message_finished"
}

pub fn event_type(frame: &Value) -> Option<&str> {
    (frame["type"] == "event")
        .then(|| frame["event"]["type"].as_str())
        .flatten()
}

/// Each database the tests run on, with what keeps it alive: SQLite, and Postgres when
/// reachable (always under CI).
pub async fn databases(sandbox: &Sandbox) -> Vec<(String, Option<boocode_testkit::PgTestDb>)> {
    let mut all = vec![(sandbox.sqlite_url(), None)];
    if let Some(db) = boocode_testkit::PgTestDb::create().await {
        all.push((db.url().to_owned(), Some(db)));
    }
    all
}

/// Posts `text` to `chat` and waits on `ws` for the turn to finish; the final message.
pub async fn turn(server: &Server, ws: &mut Ws, chat: &str, text: &str) -> Value {
    let (status, body) = server
        .post(
            &format!("/api/chats/{chat}/messages"),
            json!({ "text": text }),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    ws.until(is_finished).await.pop().unwrap()["message"].clone()
}

/// Runs `git args…` in `dir` (with an identity for commits); its standard output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Settings and environment that make the server run claude-agent-acp against `anthropic`.
pub fn acp_setup(
    sandbox: &Sandbox,
    anthropic: &boocode_testkit::ScriptedAnthropic,
) -> Option<Vec<(&'static str, String)>> {
    let claude = boocode_testkit::peer_bin("claude")?;
    let adapter = boocode_testkit::peer_bin("claude-agent-acp")?;
    let opencode = boocode_testkit::peer_bin("opencode")?;
    let config_dir = sandbox.home.path().join("claude-config");
    std::fs::create_dir_all(&config_dir).unwrap();
    let settings = sandbox.home.path().join("server.toml");
    std::fs::write(
        &settings,
        format!(
            "[providers.claude-acp]\ncommand = {:?}\n\n[providers.opencode]\ncommand = {:?}\n",
            adapter.display().to_string(),
            opencode.display().to_string()
        ),
    )
    .unwrap();
    Some(vec![
        ("BOOCODE_CONFIG", settings.display().to_string()),
        ("CLAUDE_CODE_EXECUTABLE", claude.display().to_string()),
        ("IS_SANDBOX", "1".to_owned()),
        ("ANTHROPIC_BASE_URL", anthropic.url()),
        ("ANTHROPIC_API_KEY", "sk-test".to_owned()),
        ("CLAUDE_CONFIG_DIR", config_dir.display().to_string()),
        ("DISABLE_TELEMETRY", "1".to_owned()),
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".to_owned()),
        ("OPENCODE_DISABLE_AUTOUPDATE", "1".to_owned()),
    ])
}

/// An `opencode.json` in `repo` pointing opencode at the scripted OpenAI-compatible `model`.
pub fn opencode_config(repo: &std::path::Path, model: &boocode_testkit::ScriptedOpenAi) {
    let config = boocode_testkit::opencode_config(&model.url());
    std::fs::write(repo.join("opencode.json"), config.to_string()).unwrap();
}
