//! Credentials in URLs, hidden before anything is shown or logged.

/// Hides credentials in URLs (`https://user:token@host` → `https://***@host`), for files such as
/// `.git/config` that are readable but may carry a token in a remote URL.
pub fn redact_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (before, after) = rest.split_at(i + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| c == '/' || c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_redacted() {
        let config = "[remote \"origin\"]\n\turl = https://bob:ghp_SECRET@github.com/o/r.git\n\turl = git@github.com:o/r.git\n\turl = https://github.com/o/r\n";
        let redacted = redact_url_credentials(config);
        assert!(!redacted.contains("ghp_SECRET"));
        assert!(redacted.contains("https://***@github.com/o/r.git"));
        assert!(redacted.contains("git@github.com:o/r.git"));
        assert!(redacted.contains("https://github.com/o/r\n"));
    }

    #[test]
    fn credentials_in_model_urls_never_reach_an_error() {
        assert_eq!(
            redact_url_credentials("http://user:secret@127.0.0.1:9/v1/chat/completions"),
            "http://***@127.0.0.1:9/v1/chat/completions"
        );
        assert_eq!(
            redact_url_credentials("http://127.0.0.1:9/v1"),
            "http://127.0.0.1:9/v1"
        );
    }
}
