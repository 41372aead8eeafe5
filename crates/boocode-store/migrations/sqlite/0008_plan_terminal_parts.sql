-- Parts for people: the agent's plan, and excerpts of the terminals a turn ran.
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt with the wider one.
CREATE TABLE message_parts_new (
    message_id  TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('text', 'reasoning', 'tool_call', 'tool_result', 'permission', 'notice', 'plan', 'terminal')),
    data        TEXT NOT NULL,
    PRIMARY KEY (message_id, idx)
);
INSERT INTO message_parts_new (message_id, idx, kind, data)
    SELECT message_id, idx, kind, data FROM message_parts;
DROP TABLE message_parts;
ALTER TABLE message_parts_new RENAME TO message_parts;
