//! The settings file every BooCode program reads (`~/.config/boocode/config.toml`): each
//! program deserializes only the tables it uses.

/// Reads the settings file — `explicit`, else `~/.config/boocode/config.toml` — into `T`, which
/// names only the tables its program uses (other keys belong to other programs). A missing
/// default file reads as empty; a missing explicit file or a malformed one is an error that names
/// the file.
pub fn read_settings_file<T: serde::de::DeserializeOwned + Default>(
    explicit: Option<&std::path::Path>,
) -> Result<T, String> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match dirs::config_dir() {
            Some(d) => d.join("boocode").join("config.toml"),
            None => return Ok(T::default()),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text)
            .map_err(|e| format!("invalid settings file {}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
            Ok(T::default())
        }
        Err(e) => Err(format!("cannot read settings file {}: {e}", path.display())),
    }
}
