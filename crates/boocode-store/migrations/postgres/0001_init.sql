-- BooCode session store, Postgres. Statuses and roles mirror the Rust enums in boocode-core.

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    root        TEXT NOT NULL UNIQUE CHECK (char_length(root) BETWEEN 1 AND 4096),
    created_at  BIGINT NOT NULL,
    archived    BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    title       TEXT NOT NULL CHECK (char_length(title) <= 200),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    archived    BOOLEAN NOT NULL DEFAULT FALSE,
    panes       TEXT
);
CREATE INDEX sessions_by_project ON sessions(project_id, updated_at);

CREATE TABLE chats (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    title       TEXT NOT NULL CHECK (char_length(title) <= 200),
    agent       TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    archived    BOOLEAN NOT NULL DEFAULT FALSE,
    next_seq    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX chats_by_session ON chats(session_id, created_at);

CREATE TABLE messages (
    id                 TEXT PRIMARY KEY,
    chat_id            TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    seq                BIGINT NOT NULL,
    role               TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    status             TEXT NOT NULL CHECK (status IN ('streaming', 'complete', 'failed', 'cancelled')),
    kind               TEXT NOT NULL DEFAULT 'regular' CHECK (kind IN ('regular', 'sentinel', 'summary')),
    prompt_tokens      BIGINT,
    completion_tokens  BIGINT,
    ctx_used           BIGINT,
    ctx_max            BIGINT,
    cost_usd           DOUBLE PRECISION,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    UNIQUE (chat_id, seq)
);
CREATE INDEX messages_streaming ON messages(updated_at) WHERE status = 'streaming';

CREATE TABLE message_parts (
    message_id  TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    idx         BIGINT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('text', 'reasoning', 'tool_call', 'tool_result')),
    data        TEXT NOT NULL,
    PRIMARY KEY (message_id, idx)
);

CREATE TABLE settings (
    key         TEXT PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 200),
    value       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE tool_calls (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id       TEXT REFERENCES chats(id) ON DELETE SET NULL,
    tool          TEXT NOT NULL CHECK (char_length(tool) BETWEEN 1 AND 200),
    duration_ms   BIGINT NOT NULL CHECK (duration_ms >= 0),
    output_bytes  BIGINT NOT NULL CHECK (output_bytes >= 0),
    is_error      BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX tool_calls_by_tool ON tool_calls(tool, id);

CREATE TABLE agent_sessions (
    id                  TEXT PRIMARY KEY,
    chat_id             TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    backend             TEXT NOT NULL CHECK (backend IN ('native', 'claude_sdk', 'acp', 'pty')),
    provider            TEXT NOT NULL,
    backend_session_id  TEXT,
    prompt_tokens       BIGINT NOT NULL DEFAULT 0,
    completion_tokens   BIGINT NOT NULL DEFAULT 0,
    cost_usd            DOUBLE PRECISION NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX agent_sessions_by_chat ON agent_sessions(chat_id, provider);

CREATE TABLE pending_changes (
    id                TEXT PRIMARY KEY,
    chat_id           TEXT REFERENCES chats(id) ON DELETE CASCADE,
    run_id            TEXT,
    seq               BIGINT NOT NULL,
    path              TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('pending', 'applied', 'rejected', 'reverted')),
    base_hash         TEXT,
    base_content      BYTEA,
    proposed_content  BYTEA,
    mode              BIGINT,
    diff              TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX pending_by_chat ON pending_changes(chat_id, seq);
CREATE INDEX pending_by_run ON pending_changes(run_id, seq);

CREATE TABLE claude_session_entries (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_key  TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    subpath      TEXT NOT NULL DEFAULT '',
    uuid         TEXT,
    entry        TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX claude_entries_by_key ON claude_session_entries(project_key, session_id, subpath, id);
CREATE UNIQUE INDEX claude_entries_uuid ON claude_session_entries(project_key, session_id, subpath, uuid)
    WHERE uuid IS NOT NULL;
