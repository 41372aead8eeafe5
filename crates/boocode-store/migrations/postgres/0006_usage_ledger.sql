-- One row per finished turn, whoever ran it (BooCode's own loop or an external agent): the
-- project, the chat or run, provider and model, tokens and the cost the backend reported.
CREATE TABLE usage_ledger (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_root       TEXT NOT NULL,
    chat_id            TEXT,
    run_id             TEXT,
    provider           TEXT NOT NULL,
    model              TEXT,
    prompt_tokens      BIGINT NOT NULL,
    completion_tokens  BIGINT NOT NULL,
    cost_usd           DOUBLE PRECISION,
    created_at         BIGINT NOT NULL
);
CREATE INDEX usage_by_project ON usage_ledger(project_root, created_at);
CREATE INDEX usage_by_time ON usage_ledger(created_at);
