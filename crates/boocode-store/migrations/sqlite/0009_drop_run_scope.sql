-- Pending changes and usage belong to chats: the coder daemon's in-memory runs, the other scope
-- these tables once kept, are gone. Changes of a run (no chat) can never be listed or applied
-- again, so they go with the column; their counters too. Change numbers are unique per chat.
DELETE FROM pending_changes WHERE chat_id IS NULL;
DELETE FROM change_counters WHERE scope LIKE 'run:%';
DROP INDEX pending_by_run;
DROP INDEX pending_changes_scope_seq;
ALTER TABLE pending_changes DROP COLUMN run_id;
CREATE UNIQUE INDEX pending_changes_chat_seq ON pending_changes(chat_id, seq);
ALTER TABLE usage_ledger DROP COLUMN run_id;
