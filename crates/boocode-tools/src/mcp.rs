//! MCP servers as tool sources: each configured server (a stdio command or a streamable HTTP
//! URL) is started in the background, its tools listed and offered to the loop as
//! `server__tool`. A server that is slow, dead or misbehaving is reported and skipped; a tool
//! whose definition is unusable is dropped on its own; no call waits longer than its limit.

use boocode_core::{Tool, ToolContext, ToolError, ToolOutput};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResponse};
use rmcp::service::{Peer, RoleClient, RunningService};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// One MCP server in the settings: `[mcp_servers.NAME]` with `command` (+ `args`, `env`) or `url`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct McpServerConfig {
    /// Program of a stdio server.
    #[serde(default)]
    pub command: Option<String>,
    /// Its arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Extra environment for it.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// URL of a streamable HTTP server (instead of `command`).
    #[serde(default)]
    pub url: Option<String>,
    /// For `url`: the environment variable holding a bearer token to send (kept out of the
    /// settings file).
    #[serde(default)]
    pub bearer_token_env: Option<String>,
    /// For `url`: extra request headers.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Whether it is used (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Seconds to connect and list tools (default 20).
    #[serde(default)]
    pub startup_timeout_secs: Option<u64>,
    /// Seconds one tool call may take (default 120).
    #[serde(default)]
    pub call_timeout_secs: Option<u64>,
}

impl McpServerConfig {
    /// A stdio server: `command` run with `args`.
    pub fn stdio(command: impl Into<String>, args: Vec<String>) -> Self {
        Self {
            command: Some(command.into()),
            args,
            ..Self::default()
        }
    }

    /// A streamable HTTP server at `url`.
    pub fn http(url: impl Into<String>) -> Self {
        Self {
            url: Some(url.into()),
            ..Self::default()
        }
    }
}

impl McpServerConfig {
    /// Gives a stdio server the extra environment `value`.
    pub fn env(mut self, value: BTreeMap<String, String>) -> Self {
        self.env = value;
        self
    }

    /// Sends the request headers `value` to an HTTP server.
    pub fn headers(mut self, value: BTreeMap<String, String>) -> Self {
        self.headers = value;
        self
    }

    /// Sends the bearer token held in the environment variable `value`.
    pub fn bearer_token_env(mut self, value: impl Into<String>) -> Self {
        self.bearer_token_env = Some(value.into());
        self
    }

    /// Whether the server is used.
    pub fn enabled(mut self, value: bool) -> Self {
        self.enabled = Some(value);
        self
    }

    /// Waits at most `value` seconds to connect and list tools.
    pub fn startup_timeout_secs(mut self, value: u64) -> Self {
        self.startup_timeout_secs = Some(value);
        self
    }

    /// Lets one tool call take at most `value` seconds.
    pub fn call_timeout_secs(mut self, value: u64) -> Self {
        self.call_timeout_secs = Some(value);
        self
    }
}

/// Where a server stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum McpStatus {
    /// Connecting and listing tools.
    Starting,
    /// Serving these tools (namespaced), having dropped the listed bad definitions.
    Ready {
        /// The tools offered, as the model sees them.
        tools: Vec<String>,
        /// Tools left out, each with the reason.
        dropped: Vec<String>,
    },
    /// Not usable.
    Failed {
        /// Why.
        reason: String,
    },
    /// Turned off in the settings.
    Disabled,
}

struct Server {
    status: McpStatus,
    tools: Vec<Arc<dyn Tool>>,
    // Keeps the connection (and a stdio server's process) alive.
    _service: Option<RunningService<RoleClient, ()>>,
}

/// The MCP servers of a process: started in the background, consulted per turn.
#[derive(Clone, Default)]
pub struct McpServers {
    servers: Arc<Mutex<BTreeMap<String, Server>>>,
}

impl std::fmt::Debug for McpServers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.status()).finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Names a model's function-calling accepts: `^[a-zA-Z0-9_-]{1,64}$`.
fn valid_tool_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl McpServers {
    /// Starts every enabled server in `configs` on its own task and returns at once; call
    /// [`tools`](Self::tools) for what is ready.
    pub fn start(configs: &BTreeMap<String, McpServerConfig>) -> Self {
        let this = Self::default();
        for (name, config) in configs {
            this.add(name, config);
        }
        this
    }

    /// Starts one more server in the background (as [`start`](Self::start) does for each),
    /// unless one of that name is already known; returns whether it was added. For servers
    /// that arrive after start-up, such as those an ACP client names when it opens a session.
    pub fn add(&self, name: &str, config: &McpServerConfig) -> bool {
        let status = if config.enabled == Some(false) {
            McpStatus::Disabled
        } else {
            McpStatus::Starting
        };
        let starting = status == McpStatus::Starting;
        {
            let mut servers = lock(&self.servers);
            if servers.contains_key(name) {
                return false;
            }
            servers.insert(
                name.to_owned(),
                Server {
                    status,
                    tools: Vec::new(),
                    _service: None,
                },
            );
        }
        if starting {
            let (servers, name, config) = (self.servers.clone(), name.to_owned(), config.clone());
            tokio::spawn(async move {
                let limit = Duration::from_secs(config.startup_timeout_secs.unwrap_or(20));
                // On a task of its own, so even a panic in a transport ends as a failure
                // rather than a server left "starting".
                let mut attempt = tokio::spawn({
                    let (name, config) = (name.clone(), config.clone());
                    async move { connect(&name, &config).await }
                });
                let result = match tokio::time::timeout(limit, &mut attempt).await {
                    Ok(Ok(result)) => result,
                    Ok(Err(e)) => Err(format!("the connection attempt failed: {e}")),
                    Err(_) => {
                        // Dropping the attempt kills a stdio server's process.
                        attempt.abort();
                        Err(format!(
                            "did not connect and list its tools within {} s",
                            limit.as_secs()
                        ))
                    }
                };
                let server = match result {
                    Ok((service, tools, dropped)) => {
                        tracing::info!(server = %name, tools = tools.len(), dropped = dropped.len(), "MCP server ready");
                        for reason in &dropped {
                            tracing::warn!(server = %name, "{reason}");
                        }
                        Server {
                            status: McpStatus::Ready {
                                tools: tools.iter().map(|t| t.name().to_owned()).collect(),
                                dropped,
                            },
                            tools,
                            _service: Some(service),
                        }
                    }
                    Err(reason) => {
                        tracing::warn!(server = %name, %reason, "MCP server skipped");
                        Server {
                            status: McpStatus::Failed { reason },
                            tools: Vec::new(),
                            _service: None,
                        }
                    }
                };
                lock(&servers).insert(name, server);
            });
        }
        true
    }

    /// The tools of every server ready now.
    pub fn tools(&self) -> Vec<Arc<dyn Tool>> {
        lock(&self.servers)
            .values()
            .flat_map(|s| s.tools.iter().cloned())
            .collect()
    }

    /// Each server and where it stands.
    pub fn status(&self) -> Vec<(String, McpStatus)> {
        lock(&self.servers)
            .iter()
            .map(|(name, s)| (name.clone(), s.status.clone()))
            .collect()
    }

    /// Waits until no server is starting any more, or `limit` passes.
    pub async fn settle(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < deadline
            && self.status().iter().any(|(_, s)| *s == McpStatus::Starting)
        {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

type Connected = (
    RunningService<RoleClient, ()>,
    Vec<Arc<dyn Tool>>,
    Vec<String>,
);

async fn connect(name: &str, config: &McpServerConfig) -> Result<Connected, String> {
    let service = match (&config.command, &config.url) {
        (Some(command), None) => {
            let mut cmd = tokio::process::Command::new(command);
            // Ended with us: when the server list is dropped, or BooCode exits.
            cmd.args(&config.args).envs(&config.env).kill_on_drop(true);
            let (transport, _stderr) = rmcp::transport::TokioChildProcess::builder(cmd)
                .stderr(std::process::Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start `{command}`: {e}"))?;
            ().serve(transport)
                .await
                .map_err(|e| format!("the MCP handshake failed: {e}"))?
        }
        (None, Some(url)) => {
            // TLS set on this client only (nothing process-wide).
            let client = boocode_inference::tls::client_builder()
                .map_err(|e| e.to_string())?
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
            let transport = rmcp::transport::StreamableHttpClientTransport::with_client(
                client,
                http_config(url, config)?,
            );
            ().serve(transport)
                .await
                .map_err(|e| format!("the MCP handshake with {url} failed: {e}"))?
        }
        _ => return Err("set exactly one of `command` and `url`".to_owned()),
    };
    let (listed, mut dropped) = list_tools_tolerantly(service.peer()).await?;
    let call_timeout = Duration::from_secs(config.call_timeout_secs.unwrap_or(120));
    let mut tools: Vec<Arc<dyn Tool>> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for tool in listed {
        let remote = tool.name.to_string();
        let namespaced = format!("{name}__{remote}");
        if !valid_tool_name(&namespaced) {
            dropped.push(format!(
                "tool {remote:?} dropped: `{namespaced}` is not a usable tool name (letters, digits, _ and -, at most 64)"
            ));
            continue;
        }
        if !seen.insert(namespaced.clone()) {
            dropped.push(format!("tool {remote:?} dropped: listed twice"));
            continue;
        }
        let schema = Value::Object((*tool.input_schema).clone());
        if schema.get("type").and_then(Value::as_str) != Some("object") {
            dropped.push(format!(
                "tool {remote:?} dropped: its input schema is not an object schema"
            ));
            continue;
        }
        tools.push(Arc::new(McpTool {
            name: namespaced,
            remote,
            server: name.to_owned(),
            description: tool
                .description
                .as_deref()
                .unwrap_or("(no description)")
                .to_owned(),
            schema,
            peer: service.peer().clone(),
            call_timeout,
        }));
    }
    Ok((service, tools, dropped))
}

/// The streamable HTTP settings of a `url` server: its bearer token and extra headers.
fn http_config(
    url: &str,
    config: &McpServerConfig,
) -> Result<rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig, String> {
    let mut http =
        rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig::with_uri(
            url.to_owned(),
        );
    if let Some(var) = &config.bearer_token_env {
        let token = std::env::var(var)
            .map_err(|_| format!("the bearer token variable {var} is not set"))?;
        http.auth_header = Some(token);
    }
    for (name, value) in &config.headers {
        let header = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("{name:?} is not a header name"))?;
        let value = reqwest::header::HeaderValue::from_str(value)
            .map_err(|_| format!("the value of header {name} is not valid"))?;
        http.custom_headers.insert(header, value);
    }
    Ok(http)
}

/// Every page of `tools/list`. A result rmcp cannot read as a whole (one tool without an
/// `inputSchema`, say) arrives as a raw value; its tools are then read one by one, so one bad
/// definition costs only itself.
async fn list_tools_tolerantly(
    peer: &Peer<RoleClient>,
) -> Result<(Vec<rmcp::model::Tool>, Vec<String>), String> {
    use rmcp::model::{ClientRequest, ListToolsRequest, PaginatedRequestParams, ServerResult};
    let (mut tools, mut dropped) = (Vec::new(), Vec::new());
    let mut cursor = None;
    loop {
        let request =
            ListToolsRequest::with_param(PaginatedRequestParams::default().with_cursor(cursor));
        let result = peer
            .send_request(ClientRequest::ListToolsRequest(request))
            .await
            .map_err(|e| format!("tools/list failed: {e}"))?;
        cursor = match result {
            ServerResult::ListToolsResult(page) => {
                tools.extend(page.tools);
                page.next_cursor
            }
            ServerResult::CustomResult(raw) => {
                let Some(items) = raw.0.get("tools").and_then(Value::as_array) else {
                    return Err("tools/list answered without a list of tools".to_owned());
                };
                for item in items {
                    match serde_json::from_value::<rmcp::model::Tool>(item.clone()) {
                        Ok(tool) => tools.push(tool),
                        Err(e) => dropped.push(format!(
                            "tool {} dropped: its definition is invalid ({e})",
                            item.get("name")
                                .map_or("(unnamed)".to_owned(), Value::to_string)
                        )),
                    }
                }
                raw.0
                    .get("nextCursor")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            }
            _ => return Err("tools/list got an answer of another kind".to_owned()),
        };
        if cursor.is_none() {
            return Ok((tools, dropped));
        }
    }
}

/// One tool of an MCP server, as the loop sees it.
struct McpTool {
    name: String,
    remote: String,
    server: String,
    description: String,
    schema: Value,
    peer: Peer<RoleClient>,
    call_timeout: Duration,
}

#[async_trait::async_trait]
impl Tool for McpTool {
    fn name(&self) -> &str {
        &self.name
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn input_schema(&self) -> Value {
        self.schema.clone()
    }

    fn read_only(&self) -> bool {
        // Nothing says what a remote tool does; calls run one at a time, in order.
        false
    }

    async fn execute(&self, arguments: Value, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let arguments = match arguments {
            Value::Object(map) => Some(map),
            Value::Null => None,
            other => {
                return Err(ToolError::to_model(format!(
                    "arguments must be an object, not {other}"
                )));
            }
        };
        let mut params = CallToolRequestParams::new(self.remote.clone());
        params.arguments = arguments;
        let call = self.peer.call_tool_once(params);
        let response = tokio::select! {
            r = tokio::time::timeout(self.call_timeout, call) => r.map_err(|_| {
                ToolError::to_model(format!(
                    "MCP server {} did not answer {} within {} s",
                    self.server,
                    self.remote,
                    self.call_timeout.as_secs()
                ))
            })?,
            () = ctx.cancel.cancelled() => {
                return Err(ToolError::to_model("cancelled"));
            }
        }
        .map_err(|e| ToolError::to_model(format!("MCP server {} failed: {e}", self.server)))?;
        let CallToolResponse::Complete(result) = response else {
            return Err(ToolError::to_model(format!(
                "MCP server {} asked for something BooCode cannot give (input or a task)",
                self.server
            )));
        };
        let mut text = String::new();
        for block in &result.content {
            match block.as_text() {
                Some(t) => text.push_str(&t.text),
                // Images, audio and resources are described, not inlined.
                None => text.push_str(&serde_json::to_string(block).unwrap_or_default()),
            }
        }
        if text.is_empty()
            && let Some(structured) = &result.structured_content
        {
            text = structured.to_string();
        }
        let limit = ctx.limits.max_output_bytes;
        if text.len() > limit {
            let mut cut = limit;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push_str("\n[output cut]");
        }
        if result.is_error == Some(true) {
            return Err(ToolError::to_model(text));
        }
        Ok(ToolOutput::new(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_names_are_checked_for_function_calling() {
        assert!(valid_tool_name("everything__echo"));
        assert!(!valid_tool_name("srv__bad name"));
        assert!(!valid_tool_name(&"x".repeat(65)));
        assert!(!valid_tool_name(""));
    }
}
