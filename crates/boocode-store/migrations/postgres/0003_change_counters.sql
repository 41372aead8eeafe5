-- Pending-change numbers come from a counter row per chat or run (like messages' next_seq),
-- taken by one atomic upsert, so concurrent proposals get distinct numbers instead of racing
-- on MAX(seq) + 1. A unique index makes a duplicate impossible.

-- Renumber any duplicates an earlier version could have left (1..n in proposal order).
UPDATE pending_changes SET seq = (
    SELECT COUNT(*) FROM pending_changes p2
    WHERE COALESCE(p2.chat_id, '') = COALESCE(pending_changes.chat_id, '')
      AND COALESCE(p2.run_id, '') = COALESCE(pending_changes.run_id, '')
      AND (p2.seq < pending_changes.seq OR (p2.seq = pending_changes.seq AND p2.id <= pending_changes.id))
);

CREATE TABLE change_counters (
    scope     TEXT PRIMARY KEY,
    last_seq  BIGINT NOT NULL
);

INSERT INTO change_counters (scope, last_seq)
SELECT CASE WHEN chat_id IS NOT NULL THEN 'chat:' || chat_id ELSE 'run:' || run_id END, MAX(seq)
FROM pending_changes
GROUP BY CASE WHEN chat_id IS NOT NULL THEN 'chat:' || chat_id ELSE 'run:' || run_id END;

CREATE UNIQUE INDEX pending_changes_scope_seq
    ON pending_changes ((COALESCE(chat_id, '')), (COALESCE(run_id, '')), seq);
