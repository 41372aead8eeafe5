-- The seed's tool settings: web access and tool tier per chat (NULL follows the project), and a
-- project's defaults and read grants as one JSON document.
ALTER TABLE chats ADD COLUMN web BOOLEAN;
ALTER TABLE chats ADD COLUMN tool_tier TEXT CHECK (tool_tier IN ('core', 'standard', 'all'));
ALTER TABLE projects ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
