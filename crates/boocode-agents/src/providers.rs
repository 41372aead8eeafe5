//! The provider registry: which coding agents BooCode can drive, how to start each, and a
//! two-tier probe (is the binary there and what version is it; does it answer its protocol's
//! handshake), every step under a timeout so a missing or silent binary never hangs.

use crate::backend::BackendKind;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

/// How to run one provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    /// The provider's name (`claude`, `opencode`, …).
    pub name: String,
    /// The protocol.
    pub kind: BackendKind,
    /// The program (`None` for the native loop).
    pub command: Option<String>,
    /// Arguments that start its agent mode (`acp` for `opencode acp`).
    #[serde(default)]
    pub args: Vec<String>,
    /// Whether it may be used.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// For ACP agents that answer `auth_required`: the auth method to use (by default the only
    /// one the agent offers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_method: Option<String>,
    /// For PTY providers: how long (ms) the program may print nothing before its turn ends
    /// (it is waiting for input). 0 ends a turn only when the program exits; unset is
    /// [`PTY_IDLE_MS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_ms: Option<u64>,
}

/// How long a PTY provider's program may be silent before its turn ends, unless its settings
/// say otherwise.
pub const PTY_IDLE_MS: u64 = 5_000;

fn yes() -> bool {
    true
}

/// What BooCode's own loop needs to run as a provider: its model, its tools and the turn's
/// settings (system prompt, limits, model id).
pub struct NativeParts {
    model: std::sync::Arc<dyn boocode_core::ModelClient>,
    tools: boocode_core::ToolSet,
    turn: boocode_core::TurnConfig,
}

impl NativeParts {
    /// The loop's parts.
    pub fn new(
        model: std::sync::Arc<dyn boocode_core::ModelClient>,
        tools: boocode_core::ToolSet,
        turn: boocode_core::TurnConfig,
    ) -> Self {
        Self { model, tools, turn }
    }
}

/// What [`Provider::backend_with`] may need besides the provider: the native loop's parts, and
/// where Claude Code's transcripts are kept.
#[derive(Default)]
pub struct BackendOptions {
    native: Option<NativeParts>,
    transcripts: Option<std::sync::Arc<dyn boocode_store::TranscriptStore>>,
    terminals: Option<std::sync::Arc<dyn crate::TerminalHost>>,
}

impl BackendOptions {
    /// No native parts, no transcript store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The parts the native provider runs with.
    pub fn native(mut self, parts: NativeParts) -> Self {
        self.native = Some(parts);
        self
    }

    /// Mirrors Claude Code's transcripts into `store` (and resumes its sessions from it, on any
    /// host).
    pub fn transcripts(
        mut self,
        store: std::sync::Arc<dyn boocode_store::TranscriptStore>,
    ) -> Self {
        self.transcripts = Some(store);
        self
    }

    /// Runs PTY providers in terminals `host` starts, which people can watch and type into.
    pub fn terminals(mut self, host: std::sync::Arc<dyn crate::TerminalHost>) -> Self {
        self.terminals = Some(host);
        self
    }
}

impl Provider {
    /// The backend that runs this provider's external agent: Claude SDK, ACP or PTY, with the
    /// program looked up on `PATH`. The native provider needs a model and tools: it is built by
    /// [`Provider::backend_with`] and is an error here, as is a disabled provider or a program
    /// that is not installed.
    pub fn backend(&self) -> Result<Box<dyn crate::AgentBackend>, crate::AgentError> {
        self.backend_with(BackendOptions::new())
    }

    /// The backend of any provider, BooCode's own loop included (from `options`' native
    /// parts): the one place backends are built.
    pub fn backend_with(
        &self,
        options: BackendOptions,
    ) -> Result<Box<dyn crate::AgentBackend>, crate::AgentError> {
        let BackendOptions {
            native: native_parts,
            transcripts,
            terminals,
        } = options;
        let refuse = |message: String| crate::AgentError::Spawn {
            program: self.command.clone().unwrap_or_else(|| self.name.clone()),
            message,
        };
        if !self.enabled {
            return Err(refuse(format!(
                "provider {} is disabled in the settings",
                self.name
            )));
        }
        if self.kind == BackendKind::Native {
            let Some(parts) = native_parts else {
                return Err(refuse(format!(
                    "provider {} runs BooCode's own loop: give it a model and tools (BackendOptions::native)",
                    self.name
                )));
            };
            return Ok(Box::new(crate::NativeBackend::new(
                parts.model,
                parts.tools,
                parts.turn,
            )));
        }
        let Some(command) = &self.command else {
            return Err(refuse(format!("provider {} names no program", self.name)));
        };
        let program = find_program(command).ok_or_else(|| {
            refuse(format!(
                "provider {}: `{command}` is not installed (not found on PATH)",
                self.name
            ))
        })?;
        Ok(match self.kind {
            BackendKind::ClaudeSdk => {
                let backend = crate::ClaudeSdkBackend::new(program).extra_args(self.args.clone());
                Box::new(match transcripts {
                    Some(store) => backend.with_transcripts(store),
                    None => backend,
                })
            }
            BackendKind::Acp => {
                let backend = crate::AcpBackend::new(program, self.args.clone());
                Box::new(match &self.auth_method {
                    Some(method) => backend.auth_method(method.clone()),
                    None => backend,
                })
            }
            BackendKind::Pty => {
                let mut backend =
                    crate::PtyBackend::new(program.display().to_string(), self.args.clone());
                match self.idle_ms.unwrap_or(PTY_IDLE_MS) {
                    0 => {}
                    ms => backend = backend.idle_after(Duration::from_millis(ms)),
                }
                if let Some(host) = terminals {
                    backend = backend.hosted_by(host);
                }
                Box::new(backend)
            }
            // Built above; a native provider never gets here.
            BackendKind::Native => {
                return Err(refuse(format!(
                    "provider {} is BooCode's own loop",
                    self.name
                )));
            }
        })
    }
}

impl Provider {
    /// BooCode's own loop as a provider (`boocode`); [`Provider::backend_with`] builds it from
    /// [`NativeParts`].
    pub fn native() -> Self {
        provider(
            boocode_core::NATIVE_PROVIDER,
            BackendKind::Native,
            None,
            &[],
        )
    }

    /// How to install the built-in provider's program, for a missing one (`None` for BooCode's
    /// own loop and for providers the settings add).
    pub fn install_hint(&self) -> Option<&'static str> {
        Some(match self.name.as_str() {
            "claude" => "npm install -g @anthropic-ai/claude-code",
            "claude-acp" => "npm install -g @zed-industries/claude-agent-acp (and Claude Code)",
            "opencode" => "npm install -g opencode-ai",
            "goose" => "see https://block.github.io/goose/docs/getting-started/installation",
            "qwen" => "npm install -g @qwen-code/qwen-code",
            "cursor" => "see https://cursor.com/cli",
            "copilot" => "npm install -g @github/copilot",
            _ => return None,
        })
    }
}

/// Overrides from the settings file: `[providers.NAME] enabled = false`, `command = "…"`,
/// `args = […]`, `auth_method = "…"`; a new NAME is a provider of its own, a PTY CLI unless
/// `kind` says otherwise (`kind = "acp"` for any ACP agent, such as `boocode acp`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderOverride {
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// Another program.
    pub command: Option<String>,
    /// Other arguments.
    pub args: Option<Vec<String>>,
    /// The ACP auth method to use.
    pub auth_method: Option<String>,
    /// For a PTY provider: ms of silence that end a turn (0: only the exit does).
    pub idle_ms: Option<u64>,
    /// The protocol of a provider this file adds (`acp`, `claude_sdk` or `pty`, the default).
    pub kind: Option<BackendKind>,
}

fn provider(name: &str, kind: BackendKind, command: Option<&str>, args: &[&str]) -> Provider {
    Provider {
        name: name.to_owned(),
        kind,
        command: command.map(str::to_owned),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        enabled: true,
        auth_method: None,
        idle_ms: None,
    }
}

/// The built-in providers.
pub fn default_providers() -> Vec<Provider> {
    vec![
        Provider::native(),
        provider("claude", BackendKind::ClaudeSdk, Some("claude"), &[]),
        provider(
            "claude-acp",
            BackendKind::Acp,
            Some("claude-agent-acp"),
            &[],
        ),
        provider("opencode", BackendKind::Acp, Some("opencode"), &["acp"]),
        provider("goose", BackendKind::Acp, Some("goose"), &["acp"]),
        provider("qwen", BackendKind::Acp, Some("qwen"), &["--acp"]),
        provider("cursor", BackendKind::Acp, Some("cursor-agent"), &["acp"]),
        provider("copilot", BackendKind::Acp, Some("copilot"), &["--acp"]),
    ]
}

/// The built-in providers with `overrides` applied (unknown names add PTY providers).
pub fn providers_with(
    overrides: &std::collections::BTreeMap<String, ProviderOverride>,
) -> Vec<Provider> {
    let mut list = default_providers();
    for (name, o) in overrides {
        let p = match list.iter_mut().find(|p| &p.name == name) {
            Some(p) => p,
            None => {
                let kind = match o.kind {
                    Some(BackendKind::Native) | None => BackendKind::Pty,
                    Some(kind) => kind,
                };
                list.push(provider(name, kind, Some(name), &[]));
                let last = list.len() - 1;
                &mut list[last]
            }
        };
        if let Some(enabled) = o.enabled {
            p.enabled = enabled;
        }
        if let Some(command) = &o.command {
            p.command = Some(command.clone());
        }
        if let Some(args) = &o.args {
            p.args.clone_from(args);
        }
        if let Some(method) = &o.auth_method {
            p.auth_method = Some(method.clone());
        }
        if let Some(ms) = o.idle_ms {
            p.idle_ms = Some(ms);
        }
    }
    list
}

/// What the probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProbeStatus {
    /// Turned off in the settings.
    Disabled,
    /// The program is not on `PATH`.
    Missing {
        /// The program looked for.
        command: String,
    },
    /// The program is there but did not work.
    Broken {
        /// Its version, if it gave one.
        version: Option<String>,
        /// What went wrong.
        reason: String,
    },
    /// Ready to use.
    Ready {
        /// Its version.
        version: Option<String>,
        /// Whether the protocol handshake was checked (only some protocols have one that
        /// needs no model).
        handshake: bool,
    },
}

/// Limits for the probe.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ProbeLimits {
    /// For `--version`.
    pub version: Duration,
    /// For the protocol handshake.
    pub handshake: Duration,
}

impl Default for ProbeLimits {
    fn default() -> Self {
        Self {
            version: Duration::from_secs(5),
            handshake: Duration::from_secs(15),
        }
    }
}

impl ProbeLimits {
    /// `version` for `--version`, `handshake` for the protocol handshake.
    pub const fn new(version: Duration, handshake: Duration) -> Self {
        Self { version, handshake }
    }

    /// Waits at most `value` for `--version`.
    pub fn version(mut self, value: Duration) -> Self {
        self.version = value;
        self
    }

    /// Waits at most `value` for the protocol handshake.
    pub fn handshake(mut self, value: Duration) -> Self {
        self.handshake = value;
        self
    }
}

/// Finds `command` on `PATH` (or as a path).
pub fn find_program(command: &str) -> Option<PathBuf> {
    if command.contains('/') {
        let p = PathBuf::from(command);
        return is_executable(&p).then_some(p);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(command))
            .find(|p| is_executable(p))
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

async fn version(program: &Path, limit: Duration) -> Result<Option<String>, String> {
    let run = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(limit, run).await {
        Err(_) => Err(format!(
            "`--version` did not answer within {} s",
            limit.as_secs()
        )),
        Ok(Err(e)) => Err(format!("cannot run it: {e}")),
        Ok(Ok(out)) => {
            let text = String::from_utf8_lossy(&out.stdout);
            let line = text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(str::to_owned);
            if out.status.success() {
                Ok(line)
            } else {
                Err(format!("`--version` exited with {}", out.status))
            }
        }
    }
}

/// Sends ACP `initialize` and waits for its answer.
pub async fn acp_handshake(
    program: &Path,
    args: &[String],
    limit: Duration,
) -> Result<u64, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start it: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let request = serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": { "protocolVersion": 1, "clientCapabilities": { "fs": { "readTextFile": true, "writeTextFile": true }, "terminal": true } }
    });
    let exchange = async {
        stdin
            .write_all(format!("{request}\n").as_bytes())
            .await
            .map_err(|e| {
                // A program that exits at once closes its input before (or while) the request
                // is written: the same failure as exiting without an answer.
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    "it exited without answering initialize (it closed its input)".to_owned()
                } else {
                    format!("it closed its input: {e}")
                }
            })?;
        let mut lines = BufReader::new(stdout).lines();
        loop {
            let line = lines
                .next_line()
                .await
                .map_err(|e| format!("reading its output failed: {e}"))?
                .ok_or("it exited without answering initialize")?;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
                return Err(format!(
                    "it printed something that is not JSON-RPC: {:?}",
                    line.chars().take(80).collect::<String>()
                ));
            };
            if message.get("id") != Some(&serde_json::json!(1)) {
                continue; // a notification or a request of its own
            }
            if let Some(error) = message.get("error") {
                return Err(format!("initialize failed: {error}"));
            }
            return message
                .pointer("/result/protocolVersion")
                .and_then(serde_json::Value::as_u64)
                .ok_or_else(|| "initialize answered without a protocolVersion".to_owned());
        }
    };
    let result = tokio::time::timeout(limit, exchange)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "no answer to initialize within {} s",
                limit.as_secs()
            ))
        });
    let _ = child.kill().await;
    result
}

/// Probes one provider.
pub async fn probe(provider: &Provider, limits: ProbeLimits) -> ProbeStatus {
    if !provider.enabled {
        return ProbeStatus::Disabled;
    }
    let Some(command) = &provider.command else {
        return ProbeStatus::Ready {
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            handshake: true,
        };
    };
    let Some(program) = find_program(command) else {
        return ProbeStatus::Missing {
            command: command.clone(),
        };
    };
    let version = match version(&program, limits.version).await {
        Ok(v) => v,
        Err(reason) => {
            return ProbeStatus::Broken {
                version: None,
                reason,
            };
        }
    };
    match provider.kind {
        BackendKind::Acp => match acp_handshake(&program, &provider.args, limits.handshake).await {
            Ok(_) => ProbeStatus::Ready {
                version,
                handshake: true,
            },
            Err(reason) => ProbeStatus::Broken { version, reason },
        },
        // Claude Code's and a PTY program's handshakes need a model behind them; the version
        // check is the probe.
        BackendKind::ClaudeSdk | BackendKind::Pty | BackendKind::Native => ProbeStatus::Ready {
            version,
            handshake: false,
        },
    }
}

/// Probes every provider at once.
pub async fn probe_all(
    providers: &[Provider],
    limits: ProbeLimits,
) -> Vec<(Provider, ProbeStatus)> {
    let futures = providers
        .iter()
        .map(|p| async move { (p.clone(), probe(p, limits).await) });
    futures::future::join_all(futures).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provider_the_settings_add_is_a_pty_cli_unless_its_kind_says_acp() {
        let overrides: std::collections::BTreeMap<String, ProviderOverride> = toml::from_str(
            r#"
            [boocode-acp]
            kind = "acp"
            command = "boocode"
            args = ["acp", "--model-url", "http://127.0.0.1:8080"]
            [mycli]
            command = "mycli"
            [native-trick]
            kind = "native"
            "#,
        )
        .unwrap();
        let list = providers_with(&overrides);
        let find = |n: &str| list.iter().find(|p| p.name == n).unwrap();
        assert_eq!(find("boocode-acp").kind, BackendKind::Acp);
        assert_eq!(find("boocode-acp").args[0], "acp");
        assert_eq!(find("mycli").kind, BackendKind::Pty);
        // A file cannot add a second native loop under another name.
        assert_eq!(find("native-trick").kind, BackendKind::Pty);
        let bad: Result<std::collections::BTreeMap<String, ProviderOverride>, _> =
            toml::from_str("[x]\nkind = \"telnet\"\n");
        assert!(bad.is_err());
    }
}
