//! Tools: the [`Tool`] trait, a typed helper ([`TypedTool`]) and the [`ToolSet`] the loop uses.

use crate::model::ToolSpec;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Bounds a tool must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ToolLimits {
    /// The most output (in bytes) that may reach the model; longer output is truncated.
    pub max_output_bytes: usize,
    /// Wall-time limit for one call.
    pub timeout: Duration,
}

impl Default for ToolLimits {
    fn default() -> Self {
        Self {
            max_output_bytes: 50 * 1024,
            timeout: Duration::from_secs(120),
        }
    }
}

impl ToolLimits {
    /// Keeps at most `bytes` of a call's output for the model.
    pub fn max_output_bytes(mut self, bytes: usize) -> Self {
        self.max_output_bytes = bytes;
        self
    }

    /// Ends a call after `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// What a tool is given besides its arguments.
///
/// There is no project root here: a tool that touches files holds its own guarded environment
/// (BooCode's built-in tools hold a `boocode_tools::ToolEnv`, whose path guard has the one
/// root), so two roots can never disagree.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ToolContext {
    /// The id of the call being served.
    pub call_id: String,
    /// Cancelled when the turn is stopped; long tools should watch it.
    pub cancel: CancellationToken,
    /// Output and time bounds.
    pub limits: ToolLimits,
}

impl ToolContext {
    /// A context for the call `call_id`, with default limits and a token nobody cancels.
    pub fn new(call_id: impl Into<String>) -> Self {
        Self {
            call_id: call_id.into(),
            cancel: CancellationToken::new(),
            limits: ToolLimits::default(),
        }
    }

    /// The call stops when `cancel` is cancelled.
    pub fn cancel(mut self, cancel: CancellationToken) -> Self {
        self.cancel = cancel;
        self
    }

    /// The call is bounded by `limits`.
    pub fn limits(mut self, limits: ToolLimits) -> Self {
        self.limits = limits;
        self
    }
}

/// A successful tool result: what the model sees, plus structured facts for the caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ToolOutput {
    /// What the model sees.
    pub content: String,
    /// The pending change a write tool proposed (as queued, after an auto-apply), so a caller
    /// never has to compare queue listings to find it.
    pub change: Option<Box<crate::PendingChange>>,
}

impl ToolOutput {
    /// A result holding `content`.
    pub fn new(content: impl Into<String>) -> Self {
        Self {
            content: content.into(),
            change: None,
        }
    }

    /// The same result, naming the change the call proposed.
    pub fn with_change(mut self, change: crate::PendingChange) -> Self {
        self.change = Some(Box::new(change));
        self
    }
}

/// A failed tool call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// A failure the model should see and can react to (bad arguments, a refused path, a missing
    /// file). The turn goes on.
    #[error("{0}")]
    ToModel(String),
    /// A failure that must end the turn (the tool's own machinery broke).
    #[error("fatal tool error: {0}")]
    Fatal(String),
}

impl ToolError {
    /// A failure reported back to the model.
    pub fn to_model(message: impl Into<String>) -> Self {
        ToolError::ToModel(message.into())
    }
}

/// A tool the model can call.
///
/// Implement [`TypedTool`] instead when the arguments are a Rust type: it derives the schema and
/// turns malformed arguments into an error the model sees.
///
/// An `#[async_trait]` trait: put `#[async_trait]` (re-exported in [`crate::prelude`]) on your
/// `impl` block too, or the compiler reports E0195 on a signature that looks identical.
#[async_trait::async_trait]
pub trait Tool: Send + Sync {
    /// The name the model calls it by.
    fn name(&self) -> &str;
    /// What it does, for the model.
    fn description(&self) -> &str;
    /// JSON Schema of the arguments object.
    fn input_schema(&self) -> serde_json::Value;
    /// Whether the tool only reads. Read-only calls in one step run concurrently.
    fn read_only(&self) -> bool;
    /// Runs the tool. `arguments` is the parsed JSON the model sent.
    async fn execute(
        &self,
        arguments: serde_json::Value,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError>;
}

/// A tool whose arguments are a typed struct.
///
/// An `#[async_trait]` trait (see [`Tool`]); `Args` derives `serde::Deserialize` and
/// `schemars::JsonSchema` — both re-exported in [`crate::prelude`], so the versions match.
#[async_trait::async_trait]
pub trait TypedTool: Send + Sync + 'static {
    /// The arguments type; its `JsonSchema` is what the model sees.
    type Args: DeserializeOwned + JsonSchema + Send;
    /// The name the model calls it by.
    const NAME: &'static str;
    /// Whether the tool only reads.
    const READ_ONLY: bool;
    /// What it does, for the model.
    fn description(&self) -> &str;
    /// Runs the tool with parsed arguments.
    async fn call(&self, args: Self::Args, ctx: &ToolContext) -> Result<ToolOutput, ToolError>;
}

/// JSON Schema for a tool's argument type, in the inline form models handle best.
pub fn schema_for<T: JsonSchema>() -> serde_json::Value {
    let settings = schemars::generate::SchemaSettings::draft07().with(|s| {
        s.inline_subschemas = true;
    });
    let schema = settings.into_generator().into_root_schema_for::<T>();
    let mut value = schema.to_value();
    if let Some(obj) = value.as_object_mut() {
        obj.remove("$schema");
        obj.remove("title");
    }
    value
}

#[async_trait::async_trait]
impl<T: TypedTool> Tool for T {
    fn name(&self) -> &str {
        T::NAME
    }

    fn description(&self) -> &str {
        TypedTool::description(self)
    }

    fn input_schema(&self) -> serde_json::Value {
        schema_for::<T::Args>()
    }

    fn read_only(&self) -> bool {
        T::READ_ONLY
    }

    async fn execute(
        &self,
        arguments: serde_json::Value,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let args: T::Args = serde_json::from_value(arguments)
            .map_err(|e| ToolError::to_model(format!("invalid arguments for {}: {e}", T::NAME)))?;
        self.call(args, ctx).await
    }
}

/// The tools one turn may use, looked up by name.
#[derive(Clone, Default)]
pub struct ToolSet {
    tools: BTreeMap<String, Arc<dyn Tool>>,
}

impl std::fmt::Debug for ToolSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.tools.keys()).finish()
    }
}

impl ToolSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tool, replacing any tool of the same name.
    pub fn insert(&mut self, tool: Arc<dyn Tool>) {
        self.tools.insert(tool.name().to_owned(), tool);
    }

    /// Adds a tool and returns the set (builder style).
    pub fn with(mut self, tool: impl Tool + 'static) -> Self {
        self.insert(Arc::new(tool));
        self
    }

    /// Adds every tool of `other`, replacing tools of the same name.
    pub fn extend(&mut self, other: ToolSet) {
        self.tools.extend(other.tools);
    }

    /// The tool called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Tool>> {
        self.tools.get(name)
    }

    /// Tool names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tools.keys().map(String::as_str)
    }

    /// Number of tools.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// Whether any tool can write.
    pub fn has_write_tools(&self) -> bool {
        self.tools.values().any(|t| !t.read_only())
    }

    /// Keeps only the tools named in `allowed`. Unknown names are returned so callers can warn.
    pub fn restrict_to<'a>(&mut self, allowed: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let allowed: Vec<&str> = allowed.into_iter().collect();
        let unknown = allowed
            .iter()
            .filter(|name| !self.tools.contains_key(**name))
            .map(|name| (*name).to_owned())
            .collect();
        self.tools
            .retain(|name, _| allowed.contains(&name.as_str()));
        unknown
    }

    /// The specs offered to the model, sorted by name.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools
            .values()
            .map(|t| ToolSpec {
                name: t.name().to_owned(),
                description: t.description().to_owned(),
                parameters: t.input_schema(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, JsonSchema)]
    struct EchoArgs {
        /// What to echo.
        text: String,
    }

    struct Echo;

    #[async_trait::async_trait]
    impl TypedTool for Echo {
        type Args = EchoArgs;
        const NAME: &'static str = "echo";
        const READ_ONLY: bool = true;
        fn description(&self) -> &str {
            "Echoes its input."
        }
        async fn call(&self, args: EchoArgs, _ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
            Ok(ToolOutput::new(args.text))
        }
    }

    fn ctx() -> ToolContext {
        ToolContext::new("c1")
    }

    #[tokio::test]
    async fn typed_tools_parse_arguments_and_report_bad_ones_to_the_model() {
        let tool = Echo;
        let ok = tool
            .execute(serde_json::json!({"text": "hi"}), &ctx())
            .await
            .unwrap();
        assert_eq!(ok.content, "hi");
        let err = tool
            .execute(serde_json::json!({"txt": "hi"}), &ctx())
            .await
            .unwrap_err();
        match err {
            ToolError::ToModel(msg) => assert!(msg.contains("missing field `text`"), "{msg}"),
            other => panic!("expected a model-facing error, got {other:?}"),
        }
    }

    #[test]
    fn schemas_are_inline_objects_with_field_docs() {
        let schema = schema_for::<EchoArgs>();
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["properties"]["text"]["description"], "What to echo.");
        assert!(schema.get("$schema").is_none());
    }

    #[test]
    fn restricting_a_set_reports_unknown_names() {
        let mut set = ToolSet::new().with(Echo);
        let unknown = set.restrict_to(["echo", "nope"]);
        assert_eq!(unknown, vec!["nope".to_owned()]);
        assert_eq!(set.names().collect::<Vec<_>>(), vec!["echo"]);
        set.restrict_to([]);
        assert!(set.is_empty());
    }
}
