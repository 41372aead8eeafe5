//! `create_file` and `delete_file`, proposed as pending changes.

use super::Proposer;
use boocode_core::{ToolContext, ToolError, ToolOutput, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use std::sync::Arc;

/// Arguments of `create_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFileArgs {
    /// The file, relative to the project root. Missing directories are created.
    pub path: String,
    /// The whole content of the file.
    pub content: String,
    /// Replace the file if it exists (default: false, an existing file is refused).
    #[serde(default)]
    pub overwrite: bool,
}

/// Proposes a new file (or, when asked, a whole new content for an existing one).
#[derive(Debug, Clone)]
pub struct CreateFile {
    proposer: Arc<Proposer>,
}

impl CreateFile {
    pub(super) fn new(proposer: Arc<Proposer>) -> Self {
        Self { proposer }
    }
}

#[async_trait::async_trait]
impl TypedTool for CreateFile {
    type Args = CreateFileArgs;
    const NAME: &'static str = "create_file";
    const READ_ONLY: bool = false;

    fn description(&self) -> &str {
        "Create a file with the given content. An existing file is refused unless overwrite is \
         true. The file is proposed for review and the diff returned."
    }

    async fn call(
        &self,
        args: CreateFileArgs,
        _ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        if args.content.len() > crate::WRITE_MAX_BYTES {
            return Err(ToolError::to_model(format!(
                "refused: the content is {} bytes, over the {} MiB write limit",
                args.content.len(),
                crate::WRITE_MAX_BYTES / (1024 * 1024)
            )));
        }
        let current = self.proposer.current(&args.path).await?;
        if current.content.is_some() && !args.overwrite {
            return Err(ToolError::to_model(format!(
                "`{}` already exists; use edit_file to change it, or set overwrite",
                current.path
            )));
        }
        let verb = if current.content.is_some() {
            "Proposed new content for"
        } else {
            "Proposed creating"
        };
        self.proposer
            .propose(current, Some(args.content.into_bytes()), verb)
            .await
    }
}

/// Arguments of `delete_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteFileArgs {
    /// The file, relative to the project root.
    pub path: String,
}

/// Proposes deleting a file.
#[derive(Debug, Clone)]
pub struct DeleteFile {
    proposer: Arc<Proposer>,
}

impl DeleteFile {
    pub(super) fn new(proposer: Arc<Proposer>) -> Self {
        Self { proposer }
    }
}

#[async_trait::async_trait]
impl TypedTool for DeleteFile {
    type Args = DeleteFileArgs;
    const NAME: &'static str = "delete_file";
    const READ_ONLY: bool = false;

    fn description(&self) -> &str {
        "Delete a file. The deletion is proposed for review; it can be undone."
    }

    async fn call(
        &self,
        args: DeleteFileArgs,
        _ctx: &ToolContext,
    ) -> Result<ToolOutput, ToolError> {
        let current = self.proposer.current(&args.path).await?;
        if current.content.is_none() {
            return Err(ToolError::to_model(format!(
                "`{}` does not exist",
                current.path
            )));
        }
        self.proposer
            .propose(current, None, "Proposed deleting")
            .await
    }
}
