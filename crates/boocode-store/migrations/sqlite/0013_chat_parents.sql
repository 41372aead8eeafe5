-- A chat may be delegated by another (a Boomerang child): the parent's id, set by the runtime
-- only, so clients can show children nested under it.
ALTER TABLE chats ADD COLUMN parent_chat_id TEXT;
