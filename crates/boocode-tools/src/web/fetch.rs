//! `web_fetch`: one page through `url_guard`, HTML converted to Markdown.

use crate::env::ToolEnv;
use boocode_core::{ToolContext, ToolError, ToolOutput, TypedTool};
use schemars::JsonSchema;
use serde::Deserialize;
use std::sync::Arc;

/// Arguments of `web_fetch`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebFetchArgs {
    /// An http or https URL.
    pub url: String,
}

/// Fetches a web page.
#[derive(Debug, Clone)]
pub struct WebFetch {
    env: Arc<ToolEnv>,
}

impl WebFetch {
    /// The tool over `env` (which needs a web configuration).
    pub fn new(env: Arc<ToolEnv>) -> Self {
        Self { env }
    }
}

/// Converts an HTML document to Markdown, dropping scripts, styles and page chrome.
pub fn html_to_markdown(html: &str) -> String {
    let converter = htmd::HtmlToMarkdown::builder()
        .skip_tags(vec![
            "script", "style", "noscript", "nav", "footer", "svg", "iframe", "form", "head",
        ])
        .build();
    match converter.convert(html) {
        Ok(md) => md,
        Err(e) => {
            tracing::warn!(error = %e, "HTML conversion failed; returning text as is");
            html.to_owned()
        }
    }
}

#[async_trait::async_trait]
impl TypedTool for WebFetch {
    type Args = WebFetchArgs;
    const NAME: &'static str = "web_fetch";
    const READ_ONLY: bool = true;

    fn description(&self) -> &str {
        "Fetch a public web page (http/https) and return it as Markdown. Internal and private \
         addresses are refused."
    }

    async fn call(&self, args: WebFetchArgs, ctx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let web = self
            .env
            .web()
            .ok_or_else(|| ToolError::to_model("web access is not enabled for this chat"))?;
        let fetched = web
            .guard
            .fetch(&args.url)
            .await
            .map_err(|e| ToolError::to_model(e.to_string()))?;
        let kind = fetched
            .content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_owned();
        let text = String::from_utf8_lossy(&fetched.body);
        let body = if kind == "text/html"
            || kind == "application/xhtml+xml"
            || (kind.is_empty() && text.trim_start().starts_with('<'))
        {
            html_to_markdown(&text)
        } else if kind.starts_with("text/")
            || kind.contains("json")
            || kind.contains("xml")
            || kind.is_empty()
        {
            text.into_owned()
        } else {
            return Err(ToolError::to_model(format!(
                "{} is {kind} ({} bytes), not text; not shown",
                fetched.url,
                fetched.body.len()
            )));
        };
        let mut out = format!(
            "# {}\n(HTTP {}, {})\n\n{body}",
            fetched.url,
            fetched.status,
            if kind.is_empty() {
                "no content type"
            } else {
                &kind
            }
        );
        if fetched.truncated {
            out.push_str("\n\n[the page was cut at the download size limit]");
        }
        Ok(ToolOutput::new(
            self.env.bound(out, ctx.limits.max_output_bytes),
        ))
    }
}
