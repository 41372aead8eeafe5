-- Parts for people: the agent's plan, and excerpts of the terminals a turn ran.
ALTER TABLE message_parts DROP CONSTRAINT IF EXISTS message_parts_kind_check;
ALTER TABLE message_parts ADD CONSTRAINT message_parts_kind_check
    CHECK (kind IN ('text', 'reasoning', 'tool_call', 'tool_result', 'permission', 'notice', 'plan', 'terminal'));
