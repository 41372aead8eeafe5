//! BooCode's tools as an MCP server (rmcp) for editors and other agents: `view_file`,
//! `list_dir`, `grep`, `find_files` (read, guarded), `edit_file` (into the pending-changes
//! queue, returning the diff) and `dispatch_agent` (a prompt run through a configured provider,
//! returning its final answer). Input schemas are the native tools' own; a refused path or a
//! failed call is an MCP tool error (`isError`), never a protocol failure.
//!
//! The crate links no HTTP server: serve it over stdio (or any rmcp transport).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use boocode_core::{ChangeScope, MemoryChangeQueue};
//! use boocode_mcp::{McpConfig, McpToolServer};
//! use boocode_tools::{PathGuard, ToolEnv};
//! use rmcp::ServiceExt;
//! use std::sync::Arc;
//!
//! let env = Arc::new(ToolEnv::new(PathGuard::new("/src/my-project")?));
//! let model = boocode_inference::OpenAiClient::new(boocode_inference::OpenAiConfig::new(
//!     "http://127.0.0.1:8080",
//! ))?;
//! let server = McpToolServer::new(
//!     McpConfig::new(
//!         env,
//!         Arc::new(MemoryChangeQueue::new()),
//!         ChangeScope(boocode_core::ChatId::new()),
//!         Arc::new(model),
//!     )
//!     .providers(boocode_agents::default_providers()),
//! );
//! server.serve(rmcp::transport::stdio()).await?.waiting().await?;
//! # Ok(())
//! # }
//! ```

use boocode_agents::{
    BackendKind, BackendOptions, NativeParts, Provider, QueueReview, SessionConfig,
};
use boocode_core::{
    AgentEvent, CancellationToken, ChangeQueue, ChangeScope, CollectSink, ModelClient, ToolContext,
    ToolError, ToolSet, TurnConfig, TurnLimits, TurnOutcome,
};
use boocode_tools::{Tier, ToolEnv, WriteMode, read_tools, write_tools};
use rmcp::ErrorData as McpError;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    InitializeResult, JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities,
    Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The tools `boocode-mcp` serves, in the order it lists them.
pub const MCP_TOOLS: [&str; 6] = [
    "view_file",
    "list_dir",
    "grep",
    "find_files",
    "edit_file",
    "dispatch_agent",
];

/// Arguments of `dispatch_agent`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchArgs {
    /// The provider that runs the prompt (`boocode` for BooCode's own loop, or `claude`,
    /// `claude-acp`, `opencode`, …).
    pub provider: String,
    /// What to ask.
    pub prompt: String,
    /// Model id, when the provider lets you choose.
    #[serde(default)]
    pub model: Option<String>,
}

/// How the MCP server is set up: [`McpConfig::new`], then a setter per optional field.
#[non_exhaustive]
pub struct McpConfig {
    /// The project's guards.
    pub env: Arc<ToolEnv>,
    /// Where `edit_file` (and dispatched agents' writes) propose changes.
    pub queue: Arc<dyn ChangeQueue>,
    /// The chat those changes are filed under (the workspace, the coder daemon and
    /// `boocode pending --chat` show them).
    pub scope: ChangeScope,
    /// The providers `dispatch_agent` may use.
    pub providers: Vec<Provider>,
    /// The model of the native provider.
    pub model: Arc<dyn ModelClient>,
    /// The native provider's default model id.
    pub model_id: Option<String>,
    /// The longest a dispatched prompt may run.
    pub dispatch_timeout: Duration,
    /// Where the global BOOCHAT.md lives (`~/.config/boocode`), for the native provider's
    /// system prompt.
    pub config_dir: Option<std::path::PathBuf>,
}

impl McpConfig {
    /// Serves the project `env` guards, proposing changes into `queue` under `scope`, with
    /// `model` as the native provider's model; no other provider, the model's default id, a
    /// ten-minute dispatch limit and no global BOOCHAT.md.
    pub fn new(
        env: Arc<ToolEnv>,
        queue: Arc<dyn ChangeQueue>,
        scope: ChangeScope,
        model: Arc<dyn ModelClient>,
    ) -> Self {
        Self {
            env,
            queue,
            scope,
            providers: Vec::new(),
            model,
            model_id: None,
            dispatch_timeout: Duration::from_secs(600),
            config_dir: None,
        }
    }

    /// Lets `dispatch_agent` use `providers`.
    pub fn providers(mut self, providers: Vec<Provider>) -> Self {
        self.providers = providers;
        self
    }

    /// Asks the native provider's model for `id`.
    pub fn model_id(mut self, id: impl Into<String>) -> Self {
        self.model_id = Some(id.into());
        self
    }

    /// Lets a dispatched prompt run at most `limit`.
    pub fn dispatch_timeout(mut self, limit: Duration) -> Self {
        self.dispatch_timeout = limit;
        self
    }

    /// Reads the global BOOCHAT.md from `dir`.
    pub fn config_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.config_dir = Some(dir.into());
        self
    }
}

/// The MCP server (an rmcp `ServerHandler`).
pub struct McpToolServer {
    config: McpConfig,
    tools: ToolSet,
}

impl McpToolServer {
    /// The server over `config`.
    pub fn new(config: McpConfig) -> Self {
        let (mut tools, _) = read_tools(config.env.clone(), Tier::Core, None);
        let writes = write_tools(
            config.env.clone(),
            config.queue.clone(),
            config.scope,
            WriteMode::Review,
        );
        if let Some(edit) = writes.get("edit_file") {
            tools.insert(edit.clone());
        }
        Self { config, tools }
    }

    fn listed(&self) -> Vec<Tool> {
        let mut listed: Vec<Tool> = MCP_TOOLS
            .iter()
            .filter_map(|name| self.tools.get(name))
            .map(|tool| {
                Tool::new(
                    tool.name().to_owned(),
                    tool.description().to_owned(),
                    Arc::new(object(tool.input_schema())),
                )
            })
            .collect();
        listed.push(Tool::new(
            "dispatch_agent",
            "Run a prompt through a coding agent BooCode can drive (its own loop, Claude Code, \
             opencode, …) on this project and return the agent's final answer. File writes the \
             agent makes are queued for review, not written.",
            Arc::new(object(boocode_core::schema_for::<DispatchArgs>())),
        ));
        listed
    }

    async fn call(
        &self,
        name: &str,
        arguments: Value,
        cancel: CancellationToken,
    ) -> Result<CallToolResult, McpError> {
        if name == "dispatch_agent" {
            return Ok(match serde_json::from_value::<DispatchArgs>(arguments) {
                Ok(args) => self.dispatch(args, cancel).await,
                Err(e) => tool_error(format!("invalid arguments: {e}")),
            });
        }
        let Some(tool) = self.tools.get(name) else {
            return Err(McpError::invalid_params(
                format!("no tool {name:?}; the tools are {}", MCP_TOOLS.join(", ")),
                None,
            ));
        };
        let ctx = ToolContext::new(format!("mcp_{}", uuid::Uuid::new_v4().simple())).cancel(cancel);
        if name != "edit_file" {
            return Ok(match tool.execute(arguments, &ctx).await {
                Ok(output) => CallToolResult::success(vec![ContentBlock::text(output.content)]),
                Err(ToolError::ToModel(message) | ToolError::Fatal(message)) => tool_error(message),
                Err(other) => tool_error(other.to_string()),
            });
        }
        match tool.execute(arguments, &ctx).await {
            // The change this very call proposed, as the tool reports it.
            Ok(output) => Ok(match output.change {
                Some(change) => CallToolResult::structured(json!({
                    "change_id": change.id,
                    "chat_id": self.config.scope.chat_id(),
                    "path": change.path,
                    "state": change.state,
                    "diff": change.diff,
                })),
                None => CallToolResult::success(vec![ContentBlock::text(output.content)]),
            }),
            Err(ToolError::ToModel(message) | ToolError::Fatal(message)) => Ok(tool_error(message)),
            Err(other) => Ok(tool_error(other.to_string())),
        }
    }

    async fn queued(&self) -> usize {
        self.config
            .queue
            .list(&self.config.scope)
            .await
            .map(|c| c.len())
            .unwrap_or(0)
    }

    async fn dispatch(&self, args: DispatchArgs, cancel: CancellationToken) -> CallToolResult {
        let Some(provider) = self
            .config
            .providers
            .iter()
            .find(|p| p.name == args.provider)
        else {
            let known: Vec<&str> = self
                .config
                .providers
                .iter()
                .map(|p| p.name.as_str())
                .collect();
            return tool_error(format!(
                "unknown provider {:?} (known: {})",
                args.provider,
                known.join(", ")
            ));
        };
        let root = self.config.env.paths().root().to_path_buf();
        let mut session_config = SessionConfig::new(root.clone());
        session_config.model = args.model.clone();
        let options = if provider.kind == BackendKind::Native {
            let (mut tools, _) = read_tools(self.config.env.clone(), Tier::Standard, None);
            tools.extend(write_tools(
                self.config.env.clone(),
                self.config.queue.clone(),
                self.config.scope,
                WriteMode::Review,
            ));
            let system =
                boocode_tools::native_system_prompt(root.clone(), self.config.config_dir.clone())
                    .await;
            let mut turn = TurnConfig::default().limits(TurnLimits::for_agent(None, &tools));
            turn.model = args.model.clone().or_else(|| self.config.model_id.clone());
            turn.system = system;
            BackendOptions::new().native(NativeParts::new(self.config.model.clone(), tools, turn))
        } else {
            session_config.reviewer = Some(
                QueueReview::new(
                    self.config.env.clone(),
                    self.config.queue.clone(),
                    self.config.scope,
                    WriteMode::Review,
                )
                // Nobody can answer a prompt over MCP: writes go to the queue, the rest are
                // refused with a reason the agent sees.
                .refusing_others("nobody can approve this over MCP; BooCode refused it")
                .into_reviewer(),
            );
            BackendOptions::new()
        };
        let backend = match provider.backend_with(options) {
            Ok(backend) => backend,
            Err(e) => return tool_error(e.to_string()),
        };
        let mut session = match backend.start(session_config).await {
            Ok(session) => session,
            Err(e) => return tool_error(e.to_string()),
        };
        let sink = CollectSink::new();
        let run = session.prompt(&args.prompt, &sink, &cancel);
        let outcome = tokio::time::timeout(self.config.dispatch_timeout, run).await;
        session.close().await;
        let answer: String = sink
            .events()
            .into_iter()
            .filter_map(|e| match e {
                AgentEvent::TextDelta { text } => Some(text),
                _ => None,
            })
            .collect();
        let queued = self.queued().await;
        match outcome {
            Ok(Ok(outcome)) => {
                let result = json!({
                    "provider": provider.name,
                    "outcome": outcome,
                    "answer": answer,
                    "chat_id": self.config.scope.chat_id(),
                    "changes_queued": queued,
                });
                if outcome == TurnOutcome::Completed {
                    CallToolResult::structured(result)
                } else {
                    CallToolResult::structured_error(result)
                }
            }
            Ok(Err(e)) => tool_error(format!("{}: {e}", provider.name)),
            Err(_) => tool_error(format!(
                "{} did not finish within {} s",
                provider.name,
                self.config.dispatch_timeout.as_secs()
            )),
        }
    }
}

fn tool_error(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
}

fn object(schema: Value) -> JsonObject {
    match schema {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    }
}

impl rmcp::ServerHandler for McpToolServer {
    fn get_info(&self) -> InitializeResult {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "boocode-mcp",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(format!(
                "BooCode's guarded tools on the project at {}. Paths are relative to it. \
                 edit_file proposes a change for review (chat {}; `boocode pending --chat` \
                 lists them, `boocode apply --chat` writes them) instead of writing.",
                self.config.env.paths().root().display(),
                self.config.scope.chat_id()
            ))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.listed()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        // Cancelled when the client sends notifications/cancelled for this request.
        let result = self
            .call(&request.name, arguments, context.ct.clone())
            .await;
        result.map(CallToolResponse::from)
    }
}
