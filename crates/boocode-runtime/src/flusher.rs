//! Group commit for streamed parts. Every running turn flushes its message's new parts every
//! `flush_interval`; written one transaction each, fifty chats streaming at once cost fifty
//! commits per interval. Instead every flush goes to one writer, which writes all the flushes
//! waiting at that moment in one transaction ([`Store::update_parts_many`]): while it commits,
//! the next batch gathers. A turn still waits for its own flush's result.

use boocode_core::{MessageId, Part};
use boocode_store::{Store, StoreError};
use std::sync::OnceLock;
use tokio::sync::{mpsc, oneshot};

/// The most flushes written in one transaction.
const MAX_BATCH: usize = 128;

struct Job {
    message_id: MessageId,
    from: usize,
    parts: Vec<Part>,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The runtime's one parts writer, started on first use.
#[derive(Default)]
pub(crate) struct Flusher {
    jobs: OnceLock<mpsc::UnboundedSender<Job>>,
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
            tokio::spawn(write_batches(store.clone(), queue));
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
}

async fn write_batches(store: Store, mut queue: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
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
