//! `web_search`: queries a SearXNG instance's JSON API.

use crate::env::ToolEnv;
use boocode_core::{ToolContext, ToolError, ToolOutput, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use std::fmt::Write as _;
use std::sync::Arc;

/// Arguments of `web_search`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebSearchArgs {
    /// What to search for.
    pub query: String,
    /// How many results to return, 1-20 (default: 8).
    #[serde(default)]
    pub max_results: Option<usize>,
}

/// Searches the web through SearXNG.
#[derive(Debug, Clone)]
pub struct WebSearch {
    env: Arc<ToolEnv>,
}

impl WebSearch {
    /// The tool over `env` (which needs a web configuration with a SearXNG URL).
    pub fn new(env: Arc<ToolEnv>) -> Self {
        Self { env }
    }
}

#[derive(Deserialize)]
struct SearxResponse {
    #[serde(default)]
    results: Vec<SearxResult>,
}

#[derive(Deserialize)]
struct SearxResult {
    #[serde(default)]
    title: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    content: String,
}

#[async_trait::async_trait]
impl TypedTool for WebSearch {
    type Args = WebSearchArgs;
    const NAME: &'static str = "web_search";
    const READ_ONLY: bool = true;

    fn description(&self) -> &str {
        "Search the web. Returns titles, URLs and snippets; read a page with web_fetch."
    }

    async fn call(&self, args: WebSearchArgs, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let web = self
            .env
            .web()
            .ok_or_else(|| ToolError::to_model("web access is not enabled for this chat"))?;
        let base = web
            .searxng
            .as_ref()
            .ok_or_else(|| ToolError::to_model("no search engine is configured (searxng_url)"))?;
        let query = args.query.trim();
        if query.is_empty() {
            return Err(ToolError::to_model("the query is empty"));
        }
        let mut url = base
            .join("search")
            .map_err(|e| ToolError::Fatal(format!("bad SearXNG URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair("q", query)
            .append_pair("format", "json");
        let fetched = web
            .guard
            .fetch(url.as_str())
            .await
            .map_err(|e| ToolError::to_model(format!("search failed: {e}")))?;
        if fetched.status != 200 {
            return Err(ToolError::to_model(format!(
                "search failed: SearXNG answered HTTP {} (is the json format enabled in its settings?)",
                fetched.status
            )));
        }
        let response: SearxResponse = serde_json::from_slice(&fetched.body).map_err(|e| {
            ToolError::to_model(format!("search failed: unreadable SearXNG answer: {e}"))
        })?;
        let max = args.max_results.unwrap_or(8).clamp(1, 20);
        if response.results.is_empty() {
            return Ok(ToolOutput::new(format!("no results for {query:?}")));
        }
        let mut out = String::new();
        for (i, r) in response.results.iter().take(max).enumerate() {
            let _ = writeln!(out, "{}. [{}]({})", i + 1, r.title.trim(), r.url.trim());
            let snippet = r.content.trim();
            if !snippet.is_empty() {
                let _ = writeln!(out, "   {}", snippet.replace('\n', " "));
            }
        }
        Ok(ToolOutput::new(
            self.env.bound(out, ctx.limits.max_output_bytes),
        ))
    }
}
