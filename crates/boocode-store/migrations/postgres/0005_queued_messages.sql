-- Messages sent while a chat's turn runs wait here and run as its next turns, oldest first.
-- Kept in the database so a restart (or another instance) loses none of them.
CREATE TABLE queued_messages (
    position    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    chat_id     TEXT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    text        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX queued_by_chat ON queued_messages(chat_id, position);
