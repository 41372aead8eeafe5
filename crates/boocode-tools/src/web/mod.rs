//! Web tools, opt-in per chat: `web_search` (SearXNG) and `web_fetch`, both through `url_guard`.

mod fetch;
mod search;

pub use fetch::{WebFetch, WebFetchArgs, html_to_markdown};
pub use search::{WebSearch, WebSearchArgs};
