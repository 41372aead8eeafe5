//! An in-memory [`TranscriptStore`], the reference implementation.

use super::{SessionKey, SessionListing, TranscriptStore, check_entries, entry_uuid};
use crate::error::StoreError;
use boocode_core::now_ms;
use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

#[derive(Debug, Default)]
struct Stored {
    entries: Vec<serde_json::Value>,
    uuids: HashSet<String>,
    mtime: i64,
}

/// Transcripts kept in memory; lost when the process ends.
#[derive(Debug, Default)]
pub struct MemoryTranscriptStore {
    keys: Mutex<BTreeMap<SessionKey, Stored>>,
}

impl MemoryTranscriptStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<SessionKey, Stored>) -> T) -> T {
        let mut guard = match self.keys.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(&mut guard)
    }
}

#[async_trait::async_trait]
impl TranscriptStore for MemoryTranscriptStore {
    async fn append(
        &self,
        key: &SessionKey,
        entries: &[serde_json::Value],
    ) -> Result<(), StoreError> {
        key.validate()?;
        check_entries(entries)?;
        if entries.is_empty() {
            return Ok(());
        }
        self.with(|keys| {
            let stored = keys.entry(key.clone()).or_default();
            for entry in entries {
                if let Some(uuid) = entry_uuid(entry)
                    && !stored.uuids.insert(uuid.to_owned())
                {
                    continue;
                }
                stored.entries.push(entry.clone());
            }
            stored.mtime = now_ms().max(stored.mtime);
        });
        Ok(())
    }

    async fn load(&self, key: &SessionKey) -> Result<Option<Vec<serde_json::Value>>, StoreError> {
        key.validate()?;
        Ok(self.with(|keys| keys.get(key).map(|s| s.entries.clone())))
    }

    async fn list_sessions(&self, project_key: &str) -> Result<Vec<SessionListing>, StoreError> {
        Ok(self.with(|keys| {
            keys.iter()
                .filter(|(k, _)| k.project_key == project_key && k.subpath.is_none())
                .map(|(k, s)| SessionListing {
                    session_id: k.session_id.clone(),
                    mtime: s.mtime,
                })
                .collect()
        }))
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), StoreError> {
        key.validate()?;
        self.with(|keys| match &key.subpath {
            Some(_) => {
                keys.remove(key);
            }
            None => keys.retain(|k, _| {
                !(k.project_key == key.project_key && k.session_id == key.session_id)
            }),
        });
        Ok(())
    }

    async fn list_subkeys(
        &self,
        project_key: &str,
        session_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        Ok(self.with(|keys| {
            keys.keys()
                .filter(|k| k.project_key == project_key && k.session_id == session_id)
                .filter_map(|k| k.subpath.clone())
                .collect()
        }))
    }
}
