//! The real `boocode-coder` binary (the server in its coder profile) on an ephemeral port, and
//! what its tests share.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub,
    clippy::print_stderr,
    dead_code
)]

use boocode_testkit::{ScriptedAnthropic, peer_bin};
use futures::StreamExt;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Daemon {
    pub child: Child,
    pub url: String,
    pub http: reqwest::Client,
    pub home: tempfile::TempDir,
}

impl Daemon {
    pub async fn start(
        root: &Path,
        model_url: &str,
        env: &[(&str, String)],
        config: Option<&str>,
    ) -> Daemon {
        let home = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_boocode-coder"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .args(["--bind", "127.0.0.1:0", "--model-url", model_url])
            .arg("--root")
            .arg(root)
            .arg("--database")
            .arg(format!(
                "sqlite://{}",
                home.path().join("coder.db").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(text) = config {
            let file = home.path().join("coder.toml");
            std::fs::write(&file, text).unwrap();
            cmd.arg("--config").arg(file);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(rest) = line.strip_prefix("listening on http://") {
                    return rest.trim().to_owned();
                }
                eprintln!("[coder] {line}");
            }
            panic!("the daemon exited before listening");
        })
        .await
        .expect("the daemon did not start within 30 s");
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if std::env::var_os("CODER_LOG").is_some() {
                    eprintln!("[coder] {line}");
                }
            }
        });
        let _ = rustls::crypto::ring::default_provider().install_default();
        Daemon {
            child,
            url: format!("http://{addr}"),
            http: reqwest::Client::new(),
            home,
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (
            status,
            serde_json::from_str(&resp.text().await.unwrap()).unwrap_or(Value::Null),
        )
    }

    pub async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let resp = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (
            status,
            serde_json::from_str(&resp.text().await.unwrap()).unwrap_or(Value::Null),
        )
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, body).await
    }

    /// The daemon's one project (registered at boot).
    pub async fn project(&self) -> String {
        let (status, projects) = self.get("/api/projects").await;
        assert_eq!(status, 200, "{projects}");
        let list = projects.as_array().unwrap();
        assert_eq!(
            list.len(),
            1,
            "the coder profile serves one project: {projects}"
        );
        list[0]["id"].as_str().unwrap().to_owned()
    }

    /// A new session whose first chat has `settings` (provider, mode, …): the raw answer.
    pub async fn new_chat(&self, settings: Value) -> (u16, Value) {
        let project = self.project().await;
        let mut body = json!({"title": "test"});
        if let (Some(b), Some(extra)) = (body.as_object_mut(), settings.as_object()) {
            b.extend(extra.clone());
        }
        self.post(&format!("/api/projects/{project}/sessions"), body)
            .await
    }

    /// A new chat with `settings`: (session id, chat id).
    pub async fn chat(&self, settings: Value) -> (String, String) {
        let (status, created) = self.new_chat(settings).await;
        assert_eq!(status, 201, "{created}");
        (
            created["session"]["id"].as_str().unwrap().to_owned(),
            created["chat"]["id"].as_str().unwrap().to_owned(),
        )
    }

    /// The session's stream, after its `ready` frame.
    pub async fn stream(&self, session: &str) -> Stream {
        let ws_url = format!(
            "{}/api/sessions/{session}/ws",
            self.url.replace("http://", "ws://")
        );
        let (ws, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
        let mut stream = Stream { ws };
        loop {
            if stream.next().await["type"] == "ready" {
                return stream;
            }
        }
    }

    /// Posts `text` to the chat; the assistant message id of the turn it started.
    pub async fn send_prompt(&self, chat: &str, text: &str) -> String {
        let (status, posted) = self
            .post(
                &format!("/api/chats/{chat}/messages"),
                json!({"text": text}),
            )
            .await;
        assert_eq!(status, 202, "{posted}");
        posted["assistant_message"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no turn started: {posted}"))
            .to_owned()
    }

    /// Runs one turn of `text` in the chat, answering permission prompts with `answer` through
    /// the inbox: the turn's events and its final message.
    pub async fn prompt(
        &self,
        session: &str,
        chat: &str,
        text: &str,
        answer: Option<&str>,
    ) -> (Vec<Value>, Value) {
        let mut stream = self.stream(session).await;
        let message = self.send_prompt(chat, text).await;
        stream.turn(self, &message, answer).await
    }
}

pub struct Stream {
    pub ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Stream {
    /// The next JSON frame; panics after 90 s of silence or when the stream ends.
    pub async fn next(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(90), self.ws.next())
                .await
                .expect("no frame within 90 s")
                .expect("the stream ended")
                .unwrap();
            if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
                return serde_json::from_str(&t).unwrap();
            }
        }
    }

    /// The events of the turn writing `message` until it is finished, answering permission
    /// prompts with `answer`: (events, final message).
    pub async fn turn(
        &mut self,
        daemon: &Daemon,
        message: &str,
        answer: Option<&str>,
    ) -> (Vec<Value>, Value) {
        let mut events = Vec::new();
        loop {
            let frame = self.next().await;
            match frame["type"].as_str().unwrap() {
                "event" if frame["message_id"] == message => {
                    let event = frame["event"].clone();
                    if event["type"] == "permission_requested"
                        && let Some(decision) = answer
                    {
                        let id = event["request_id"].as_str().unwrap();
                        let (status, body) = daemon
                            .post(&format!("/api/inbox/{id}"), json!({"decision": decision}))
                            .await;
                        assert_eq!(status, 200, "{body}");
                    }
                    events.push(event);
                }
                "message_finished" if frame["message"]["id"] == message => {
                    return (events, frame["message"].clone());
                }
                _ => {}
            }
        }
    }
}

pub fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("src/main.rs"),
        "fn main() {\n    serve(8080);\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("src/lib.rs"),
        "pub const PORT: u16 = 8080;\n",
    )
    .unwrap();
    dir
}

/// Both files of the repo name `port`.
pub fn assert_port(dir: &Path, port: u16) {
    assert_eq!(
        read(dir, "src/main.rs"),
        format!("fn main() {{\n    serve({port});\n}}\n")
    );
    assert_eq!(
        read(dir, "src/lib.rs"),
        format!("pub const PORT: u16 = {port};\n")
    );
}

pub fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap()
}

pub fn acp_env(
    server: &ScriptedAnthropic,
    home: &Path,
) -> Option<(Vec<(&'static str, String)>, String)> {
    let claude = peer_bin("claude")?;
    let adapter: PathBuf = peer_bin("claude-agent-acp")?;
    let config_dir = home.join("claude-config");
    std::fs::create_dir_all(&config_dir).unwrap();
    let env = vec![
        ("CLAUDE_CODE_EXECUTABLE", claude.display().to_string()),
        ("IS_SANDBOX", "1".to_owned()),
        ("ANTHROPIC_BASE_URL", server.url()),
        ("ANTHROPIC_API_KEY", "sk-test".to_owned()),
        ("CLAUDE_CONFIG_DIR", config_dir.display().to_string()),
        ("DISABLE_TELEMETRY", "1".to_owned()),
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".to_owned()),
    ];
    let config = format!(
        "[providers.claude-acp]\ncommand = {:?}\n",
        adapter.display().to_string()
    );
    Some((env, config))
}
