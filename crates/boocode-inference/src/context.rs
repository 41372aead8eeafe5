//! Model context-size discovery, cached.
//!
//! Tried in order: llama.cpp `GET /props` (`default_generation_settings.n_ctx`, the per-slot
//! context a request can use), llama-swap `GET /upstream/<model>/props` (the same, from the
//! model's own llama-server), then `GET /v1/models` metadata (vLLM `max_model_len`, llama.cpp
//! `meta.n_ctx` or `meta.n_ctx_train`, and the `context_length` some servers add).

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a failed lookup is remembered before trying again.
pub(crate) const NEGATIVE_TTL: Duration = Duration::from_secs(60);
/// How long a found size is trusted (a server can be restarted with another `-c`).
pub(crate) const POSITIVE_TTL: Duration = Duration::from_secs(600);

#[derive(Debug, Default)]
pub(crate) struct ContextCache {
    entries: Mutex<HashMap<String, (Option<u64>, Instant)>>,
}

impl ContextCache {
    pub(crate) fn get(&self, model: &str) -> Option<Option<u64>> {
        let entries = self.entries.lock().ok()?;
        let (value, at) = entries.get(model)?;
        let ttl = if value.is_some() {
            POSITIVE_TTL
        } else {
            NEGATIVE_TTL
        };
        (at.elapsed() < ttl).then_some(*value)
    }

    pub(crate) fn put(&self, model: &str, value: Option<u64>) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(model.to_owned(), (value, Instant::now()));
        }
    }
}

/// `n_ctx` from a llama.cpp `/props` body (newer builds nest it; older ones put it on top).
pub(crate) fn n_ctx_from_props(body: &Value) -> Option<u64> {
    body.pointer("/default_generation_settings/n_ctx")
        .or_else(|| body.get("n_ctx"))
        .and_then(Value::as_u64)
        .filter(|n| *n > 0)
}

/// The context size for `model` from a `/v1/models` body; the first listed model when `model`
/// is `None` or absent from the list.
pub(crate) fn n_ctx_from_models(body: &Value, model: Option<&str>) -> Option<u64> {
    let data = body.get("data")?.as_array()?;
    let entry = model
        .and_then(|m| {
            data.iter()
                .find(|e| e.get("id").and_then(Value::as_str) == Some(m))
        })
        .or_else(|| data.first())?;
    [
        "/max_model_len",
        "/context_length",
        "/context_window",
        "/meta/n_ctx",
        "/meta/n_ctx_train",
    ]
    .iter()
    .find_map(|p| entry.pointer(p).and_then(Value::as_u64))
    .filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_each_servers_shape() {
        assert_eq!(
            n_ctx_from_props(&json!({"default_generation_settings": {"n_ctx": 8192}})),
            Some(8192)
        );
        assert_eq!(n_ctx_from_props(&json!({"n_ctx": 4096})), Some(4096));
        assert_eq!(n_ctx_from_props(&json!({"n_ctx": 0})), None);
        let models = json!({"data": [
            {"id": "a", "max_model_len": 32768},
            {"id": "b", "meta": {"n_ctx_train": 131072}},
        ]});
        assert_eq!(n_ctx_from_models(&models, Some("b")), Some(131072));
        assert_eq!(n_ctx_from_models(&models, None), Some(32768));
        assert_eq!(
            n_ctx_from_models(&json!({"data": [{"id": "x"}]}), Some("x")),
            None
        );
    }

    #[test]
    fn negative_entries_expire_and_positive_ones_stay() {
        let cache = ContextCache::default();
        assert_eq!(cache.get("m"), None);
        cache.put("m", Some(10));
        assert_eq!(cache.get("m"), Some(Some(10)));
        cache.put("n", None);
        assert_eq!(cache.get("n"), Some(None));
        if let Ok(mut e) = cache.entries.lock() {
            e.insert(
                "n".into(),
                (None, Instant::now() - NEGATIVE_TTL - Duration::from_secs(1)),
            );
        }
        assert_eq!(cache.get("n"), None);
    }
}
