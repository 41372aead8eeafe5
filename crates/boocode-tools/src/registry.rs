//! Which tools a chat gets: tiers, opt-in web tools and per-agent whitelists.

use crate::env::ToolEnv;
use crate::read::{FindFiles, Grep, ListDir, ViewFile, ViewTruncatedOutput};
#[cfg(feature = "web")]
use crate::web::{WebFetch, WebSearch};
use boocode_core::ToolSet;
use std::sync::Arc;

/// How many tools a chat is offered (the domain's [`ToolTier`](boocode_core::ToolTier)).
pub type Tier = boocode_core::ToolTier;

/// The read tools of `tier` over `env`, narrowed to `whitelist` when given (an agent's `tools`).
/// Returns the set and the whitelisted names that matched no tool, so callers can warn.
pub fn read_tools(
    env: Arc<ToolEnv>,
    tier: Tier,
    whitelist: Option<&[String]>,
) -> (ToolSet, Vec<String>) {
    let mut set = ToolSet::new()
        .with(ViewFile::new(env.clone()))
        .with(ListDir::new(env.clone()))
        .with(Grep::new(env.clone()))
        .with(FindFiles::new(env.clone()));
    if tier != Tier::Core && env.truncation().is_some() {
        set = set.with(ViewTruncatedOutput::new(env.clone()));
    }
    // Web tools come with web access, which a chat or project opts into explicitly: every tier.
    #[cfg(feature = "web")]
    if let Some(web) = env.web() {
        if web.searxng.is_some() {
            set = set.with(WebSearch::new(env.clone()));
        }
        set = set.with(WebFetch::new(env));
    }
    let unknown = match whitelist {
        Some(names) => set.restrict_to(names.iter().map(String::as_str)),
        None => Vec::new(),
    };
    (set, unknown)
}
