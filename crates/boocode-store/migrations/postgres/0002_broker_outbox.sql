-- Frames too large for a NOTIFY payload (8000 bytes) travel through this table; the
-- notification carries the row id. Rows are deleted a minute after they are written.
CREATE TABLE broker_outbox (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payload     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
