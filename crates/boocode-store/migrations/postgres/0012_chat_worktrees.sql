-- A chat may work in an isolated worktree (an arena contender, a delegate) instead of the
-- project's directory: the worktree's id and its directory, set by the runtime only.
ALTER TABLE chats ADD COLUMN worktree_id TEXT;
ALTER TABLE chats ADD COLUMN workdir TEXT;
