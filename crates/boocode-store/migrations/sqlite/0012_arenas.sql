-- Arenas: one prompt to several chats in their own worktrees, and how each did. The arena is
-- kept whole as JSON (the runtime's `Arena`), indexed by project for the leaderboard.
CREATE TABLE arenas (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX arenas_by_project ON arenas(project_id, created_at);
