//! Group commit for streamed parts. Every running turn flushes its message's new parts every
//! `flush_interval`; written one transaction each, fifty chats streaming at once cost fifty
//! commits per interval. Instead every flush goes to one writer, which writes all the flushes
//! waiting at that moment in one transaction ([`Store::update_parts_many`]): while it commits,
//! the next batch gathers. A turn still waits for its own flush's result.

use boocode_core::{MessageId, Part};
use boocode_store::{Store, StoreError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};

/// The most flushes written in one transaction.
const MAX_BATCH: usize = 128;

struct Job {
    message_id: MessageId,
    from: usize,
    parts: Vec<Part>,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// What the writer has done: transactions and the flushes they held.
#[derive(Default)]
struct Counts {
    batches: AtomicU64,
    flushes: AtomicU64,
}

/// The runtime's one parts writer, started on first use.
#[derive(Default)]
pub(crate) struct Flusher {
    jobs: OnceLock<mpsc::UnboundedSender<Job>>,
    counts: Arc<Counts>,
}

impl Flusher {
    /// Writes `parts` over `message_id`'s parts from `from` on, batched with the flushes of
    /// other chats waiting at the same time.
    pub(crate) async fn update_parts(
        &self,
        store: &Store,
        message_id: MessageId,
        from: usize,
        parts: Vec<Part>,
    ) -> Result<(), StoreError> {
        let jobs = self.jobs.get_or_init(|| {
            let (jobs, queue) = mpsc::unbounded_channel();
            tokio::spawn(write_batches(store.clone(), queue, self.counts.clone()));
            jobs
        });
        let (done, result) = oneshot::channel();
        let job = Job {
            message_id,
            from,
            parts,
            done,
        };
        if let Err(mpsc::error::SendError(job)) = jobs.send(job) {
            // The writer is gone (its tokio runtime ended): write this one directly.
            return store
                .update_parts(job.message_id, job.from, &job.parts)
                .await;
        }
        result.await.unwrap_or(Err(StoreError::Closed))
    }

    /// Transactions written so far, and the flushes they held.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.counts.batches.load(Ordering::Relaxed),
            self.counts.flushes.load(Ordering::Relaxed),
        )
    }
}

async fn write_batches(store: Store, mut queue: mpsc::UnboundedReceiver<Job>, counts: Arc<Counts>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        counts.batches.fetch_add(1, Ordering::Relaxed);
        counts
            .flushes
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        tracing::trace!(flushes = batch.len(), "writing a batch of flushes");
        let updates: Vec<(MessageId, usize, &[Part])> = batch
            .iter()
            .map(|j| (j.message_id, j.from, j.parts.as_slice()))
            .collect();
        match store.update_parts_many(&updates).await {
            Ok(results) => {
                for (job, result) in batch.into_iter().zip(results) {
                    let _ = job.done.send(result);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, flushes = batch.len(), "a batch of flushes failed");
                let message = e.to_string();
                for job in batch {
                    let _ = job.done.send(Err(StoreError::Database(message.clone())));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use boocode_core::{Message, MessageStatus, Role};

    /// Fifty chats flushing at the same moment share transactions: the point of the writer.
    /// Were each flush its own transaction again, `batches` would equal `flushes`.
    #[tokio::test(flavor = "current_thread")]
    async fn concurrent_flushes_are_written_in_shared_transactions() {
        let dir = std::env::temp_dir().join(format!("boocode-flusher-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open_sqlite(&dir.join("db.sqlite")).await.unwrap();
        let project = store
            .create_project("p", &dir.display().to_string())
            .await
            .unwrap();
        let session = store.create_session(project.id, "s").await.unwrap();
        let mut messages = Vec::new();
        for i in 0..50 {
            let chat = store
                .create_chat(session.id, &format!("c{i}"), None)
                .await
                .unwrap();
            let message = Message::new(Role::Assistant, MessageStatus::Streaming, Vec::new());
            store.append_message(chat.id, &message).await.unwrap();
            messages.push(message.id);
        }
        let flusher = Flusher::default();
        for round in 0..5 {
            let flushes = messages.iter().map(|id| {
                flusher.update_parts(&store, *id, 0, vec![Part::text(format!("round {round}"))])
            });
            for result in futures::future::join_all(flushes).await {
                result.unwrap();
            }
        }
        let (batches, flushes) = flusher.counts();
        assert_eq!(flushes, 250);
        assert!(
            batches <= 10,
            "250 flushes of 50 chats at once took {batches} transactions"
        );
        for id in &messages {
            let stored = store.get_message(*id).await.unwrap();
            assert_eq!(stored.text(), "round 4", "every flush reached the database");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
