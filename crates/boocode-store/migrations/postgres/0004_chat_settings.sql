-- A chat is a run with a provider: who runs its turns, what it may do to files, which model and
-- how much it thinks. Existing chats are BooCode's own loop, read-only.
ALTER TABLE chats ADD COLUMN provider TEXT NOT NULL DEFAULT 'boocode';
ALTER TABLE chats ADD COLUMN mode TEXT NOT NULL DEFAULT 'ask' CHECK (mode IN ('ask', 'review', 'auto_apply'));
ALTER TABLE chats ADD COLUMN model TEXT;
ALTER TABLE chats ADD COLUMN thinking TEXT CHECK (thinking IN ('off', 'low', 'medium', 'high'));
