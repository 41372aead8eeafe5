-- Permission prompts of agents' turns: waiting ones make the inbox, seen by every instance;
-- answered and expired ones stay as their record.
CREATE TABLE permission_requests (
    id           TEXT PRIMARY KEY,
    chat_id      TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    session_id   TEXT NOT NULL,
    provider     TEXT NOT NULL,
    tool         TEXT NOT NULL,
    summary      TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('waiting', 'answered', 'expired')),
    decision     TEXT,
    asked_at     BIGINT NOT NULL,
    resolved_at  BIGINT
);
CREATE INDEX permission_requests_waiting ON permission_requests(asked_at) WHERE state = 'waiting';
CREATE INDEX permission_requests_by_chat ON permission_requests(chat_id);
