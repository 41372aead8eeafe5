//! `view_truncated_output`: reads back the full text of a truncated tool result.

use crate::env::{ToolEnv, blocking};
use boocode_core::{ToolContext, ToolError, ToolOutput, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use std::sync::Arc;

/// Arguments of `view_truncated_output`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewTruncatedArgs {
    /// The id from a truncation notice, `tr_` followed by 12 characters.
    pub id: String,
    /// Byte offset to start from (the notice gives the next one).
    #[serde(default)]
    pub offset: usize,
}

/// Reads a kept output.
#[derive(Debug, Clone)]
pub struct ViewTruncatedOutput {
    env: Arc<ToolEnv>,
}

impl ViewTruncatedOutput {
    /// The tool over `env` (which must have a truncation store to be useful).
    pub fn new(env: Arc<ToolEnv>) -> Self {
        Self { env }
    }
}

#[async_trait::async_trait]
impl TypedTool for ViewTruncatedOutput {
    type Args = ViewTruncatedArgs;
    const NAME: &'static str = "view_truncated_output";
    const READ_ONLY: bool = true;

    fn description(&self) -> &str {
        "Read more of a tool output that was truncated, by the id its notice gave, from a byte offset."
    }

    async fn call(
        &self,
        args: ViewTruncatedArgs,
        ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let env = self.env.clone();
        let limit = ctx.limits.max_output_bytes;
        blocking(move || {
            let store = env.truncation().ok_or_else(|| {
                ToolError::to_model("no truncated outputs are kept in this session")
            })?;
            let slice = store
                .read(&args.id, args.offset, limit.saturating_sub(200).max(1024))
                .map_err(|e| ToolError::to_model(e.to_string()))?;
            let end = slice.offset + slice.text.len();
            let mut out = slice.text;
            if end < slice.total {
                out.push_str(&format!(
                    "\n[bytes {}-{end} of {}; call again with offset {end} for more]",
                    slice.offset, slice.total
                ));
            } else {
                out.push_str(&format!("\n[end of output: {} bytes]", slice.total));
            }
            Ok(ToolOutput::new(out))
        })
        .await
    }
}
