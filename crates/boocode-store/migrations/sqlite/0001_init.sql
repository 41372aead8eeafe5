-- BooCode session store, SQLite. Statuses and roles mirror the Rust enums in boocode-core.

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    root        TEXT NOT NULL UNIQUE CHECK (length(root) BETWEEN 1 AND 4096),
    created_at  INTEGER NOT NULL,
    archived    INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1))
);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    title       TEXT NOT NULL CHECK (length(title) <= 200),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    archived    INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    panes       TEXT
);
CREATE INDEX sessions_by_project ON sessions(project_id, updated_at);

CREATE TABLE chats (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    title       TEXT NOT NULL CHECK (length(title) <= 200),
    agent       TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    archived    INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    next_seq    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX chats_by_session ON chats(session_id, created_at);

CREATE TABLE messages (
    id                 TEXT PRIMARY KEY,
    chat_id            TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    seq                INTEGER NOT NULL,
    role               TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    status             TEXT NOT NULL CHECK (status IN ('streaming', 'complete', 'failed', 'cancelled')),
    kind               TEXT NOT NULL DEFAULT 'regular' CHECK (kind IN ('regular', 'sentinel', 'summary')),
    prompt_tokens      INTEGER,
    completion_tokens  INTEGER,
    ctx_used           INTEGER,
    ctx_max            INTEGER,
    cost_usd           REAL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    UNIQUE (chat_id, seq)
);
CREATE INDEX messages_streaming ON messages(updated_at) WHERE status = 'streaming';

CREATE TABLE message_parts (
    message_id  TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('text', 'reasoning', 'tool_call', 'tool_result')),
    data        TEXT NOT NULL,
    PRIMARY KEY (message_id, idx)
);

CREATE TABLE settings (
    key         TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 200),
    value       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE tool_calls (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id       TEXT REFERENCES chats(id) ON DELETE SET NULL,
    tool          TEXT NOT NULL CHECK (length(tool) BETWEEN 1 AND 200),
    duration_ms   INTEGER NOT NULL CHECK (duration_ms >= 0),
    output_bytes  INTEGER NOT NULL CHECK (output_bytes >= 0),
    is_error      INTEGER NOT NULL CHECK (is_error IN (0, 1)),
    created_at    INTEGER NOT NULL
);
CREATE INDEX tool_calls_by_tool ON tool_calls(tool, id);

CREATE TABLE agent_sessions (
    id                  TEXT PRIMARY KEY,
    chat_id             TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    backend             TEXT NOT NULL CHECK (backend IN ('native', 'claude_sdk', 'acp', 'pty')),
    provider            TEXT NOT NULL,
    backend_session_id  TEXT,
    prompt_tokens       INTEGER NOT NULL DEFAULT 0,
    completion_tokens   INTEGER NOT NULL DEFAULT 0,
    cost_usd            REAL NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX agent_sessions_by_chat ON agent_sessions(chat_id, provider);

CREATE TABLE pending_changes (
    id                TEXT PRIMARY KEY,
    chat_id           TEXT REFERENCES chats(id) ON DELETE CASCADE,
    run_id            TEXT,
    seq               INTEGER NOT NULL,
    path              TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('pending', 'applied', 'rejected', 'reverted')),
    base_hash         TEXT,
    base_content      BLOB,
    proposed_content  BLOB,
    mode              INTEGER,
    diff              TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX pending_by_chat ON pending_changes(chat_id, seq);
CREATE INDEX pending_by_run ON pending_changes(run_id, seq);

CREATE TABLE claude_session_entries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    project_key  TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    subpath      TEXT NOT NULL DEFAULT '',
    uuid         TEXT,
    entry        TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX claude_entries_by_key ON claude_session_entries(project_key, session_id, subpath, id);
CREATE UNIQUE INDEX claude_entries_uuid ON claude_session_entries(project_key, session_id, subpath, uuid)
    WHERE uuid IS NOT NULL;
