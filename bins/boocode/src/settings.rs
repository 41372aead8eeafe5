//! Settings for `boocode run`: flags, then environment, then the TOML file, then defaults.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The model endpoint used when nothing else says (llama.cpp's default port).
pub(crate) const DEFAULT_MODEL_URL: &str = "http://127.0.0.1:8080";

/// The optional TOML file (`~/.config/boocode/config.toml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileSettings {
    pub(crate) model_url: Option<String>,
    pub(crate) model: Option<String>,
    pub(crate) api_key: Option<String>,
    /// `core`, `standard` or `all`.
    pub(crate) tool_tier: Option<String>,
    /// `[providers.NAME]` overrides: `enabled`, `command`, `args`.
    #[serde(default)]
    pub(crate) providers: std::collections::BTreeMap<String, boocode_agents::ProviderOverride>,
    /// `[mcp_servers.NAME]`: MCP servers whose tools the loop may call (`command` or `url`).
    #[serde(default)]
    pub(crate) mcp_servers: std::collections::BTreeMap<String, boocode_tools::McpServerConfig>,
    /// Seconds `boocode run` waits for MCP servers still starting (default 10).
    pub(crate) mcp_wait_secs: Option<u64>,
    /// `[delegation]`: for servers this command runs (`boocode arena --local`).
    #[serde(default)]
    pub(crate) delegation: boocode_server::DelegationSettings,
    /// `[hooks]`: how settings.json hooks run, for servers this command runs.
    #[serde(default)]
    pub(crate) hooks: boocode_server::HookSettings,
}

/// Values from the command line (highest precedence).
#[derive(Debug, Default, Clone)]
pub(crate) struct FlagSettings {
    pub(crate) model_url: Option<String>,
    pub(crate) model: Option<String>,
}

/// The settings in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    pub(crate) model_url: String,
    pub(crate) model: Option<String>,
    pub(crate) api_key: Option<String>,
    pub(crate) tool_tier: Option<String>,
    /// MCP servers to take tools from.
    pub(crate) mcp_servers: std::collections::BTreeMap<String, boocode_tools::McpServerConfig>,
    /// How long to wait for them at start.
    pub(crate) mcp_wait: std::time::Duration,
    /// Where the settings file was looked for.
    pub(crate) config_file: Option<PathBuf>,
}

/// The directory holding `config.toml` and `agents/`.
pub(crate) fn config_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("boocode"))
}

/// Where kept outputs and other state go.
pub(crate) fn data_dir() -> Option<PathBuf> {
    dirs::data_local_dir().map(|d| d.join("boocode"))
}

/// The settings file alone (for subcommands that need only its tables).
pub(crate) fn load_file(config: Option<&Path>) -> Result<FileSettings> {
    let explicit = config
        .map(Path::to_path_buf)
        .or_else(|| env_var("BOOCODE_CONFIG").map(PathBuf::from));
    match explicit
        .clone()
        .or_else(|| config_dir().map(|d| d.join("config.toml")))
    {
        Some(p) => read_file(&p, explicit.is_some()),
        None => Ok(FileSettings::default()),
    }
}

fn read_file(path: &Path, required: bool) -> Result<FileSettings> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text)
            .with_context(|| format!("invalid settings file {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            Ok(FileSettings::default())
        }
        Err(e) => Err(e).with_context(|| format!("cannot read settings file {}", path.display())),
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Resolves the settings: flags, then `BOOCODE_*` environment variables, then the file (given
/// by `--config`, `BOOCODE_CONFIG`, or the user's config dir).
pub(crate) fn load(flags: &FlagSettings, config: Option<&Path>) -> Result<Settings> {
    let explicit = config
        .map(Path::to_path_buf)
        .or_else(|| env_var("BOOCODE_CONFIG").map(PathBuf::from));
    let path = explicit
        .clone()
        .or_else(|| config_dir().map(|d| d.join("config.toml")));
    let file = match &path {
        Some(p) => read_file(p, explicit.is_some())?,
        None => FileSettings::default(),
    };
    Ok(Settings {
        model_url: flags
            .model_url
            .clone()
            .or_else(|| env_var("BOOCODE_MODEL_URL"))
            .or(file.model_url)
            .unwrap_or_else(|| DEFAULT_MODEL_URL.to_owned()),
        model: flags
            .model
            .clone()
            .or_else(|| env_var("BOOCODE_MODEL"))
            .or(file.model),
        api_key: env_var("BOOCODE_API_KEY").or(file.api_key),
        tool_tier: file.tool_tier,
        mcp_servers: file.mcp_servers,
        mcp_wait: std::time::Duration::from_secs(file.mcp_wait_secs.unwrap_or(10)),
        config_file: path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_file_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "model_url = 3\n").unwrap();
        let err = read_file(&path, true).unwrap_err();
        assert!(
            format!("{err:#}").contains("invalid settings file"),
            "{err:#}"
        );
        std::fs::write(&path, "modle = \"x\"\n").unwrap();
        let err = read_file(&path, true).unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown field `modle`"),
            "{err:#}"
        );
        assert!(read_file(&dir.path().join("missing.toml"), false).is_ok());
        assert!(read_file(&dir.path().join("missing.toml"), true).is_err());
    }
}
