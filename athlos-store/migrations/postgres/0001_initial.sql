-- Aggregates as JSONB documents with an optimistic-concurrency version. Ids sort bytewise.
CREATE TABLE athlos_aggregates (
    kind     TEXT   NOT NULL,
    id       TEXT   COLLATE "C" NOT NULL,
    version  BIGINT NOT NULL,
    state    TEXT,
    document JSONB  NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX athlos_aggregates_by_state ON athlos_aggregates (kind, state, id);

-- Content blobs by hash (stored once).
CREATE TABLE athlos_blobs (
    hash  TEXT  PRIMARY KEY,
    bytes BYTEA NOT NULL
);

-- The append-only event log. Appends take the one-row counter's lock inside their
-- transaction, so sequences are gapless and follow commit order.
CREATE TABLE athlos_event_counter (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    last     BIGINT  NOT NULL
);
INSERT INTO athlos_event_counter (only_row, last) VALUES (TRUE, 0);

CREATE TABLE athlos_events (
    sequence    BIGINT      PRIMARY KEY,
    aggregate   JSONB       NOT NULL,
    event       JSONB       NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The job queue.
CREATE TABLE athlos_jobs (
    id              BIGSERIAL   PRIMARY KEY,
    kind            TEXT        NOT NULL,
    payload         JSONB       NOT NULL,
    idempotency_key TEXT        UNIQUE,
    state           TEXT        NOT NULL,
    priority        INTEGER     NOT NULL DEFAULT 0,
    run_at          TIMESTAMPTZ NOT NULL,
    attempts        INTEGER     NOT NULL DEFAULT 0,
    max_attempts    INTEGER     NOT NULL,
    worker          TEXT,
    lease_until     TIMESTAMPTZ,
    last_error      TEXT
);
-- Claims filter on these literal predicates, so the partial indexes serve them.
CREATE INDEX athlos_jobs_due ON athlos_jobs (priority DESC, run_at, id) WHERE state IN ('queued', 'failed');
CREATE INDEX athlos_jobs_leased ON athlos_jobs (lease_until) WHERE state = 'running';
CREATE INDEX athlos_jobs_by_state ON athlos_jobs (state, id);

-- Deadlines: one row per aggregate and purpose. Re-arming updates an indexed column (no HOT
-- updates), so vacuum this small, hot table early.
CREATE TABLE athlos_deadlines (
    aggregate     TEXT        COLLATE "C" NOT NULL,
    purpose       TEXT        COLLATE "C" NOT NULL,
    next_deadline TIMESTAMPTZ NOT NULL,
    sequence      BIGINT      NOT NULL,
    claimed_by    TEXT,
    claim_until   TIMESTAMPTZ,
    PRIMARY KEY (aggregate, purpose)
) WITH (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.05);
CREATE INDEX athlos_deadlines_due ON athlos_deadlines (next_deadline, aggregate, purpose) WHERE claim_until IS NULL;
CREATE INDEX athlos_deadlines_claimed ON athlos_deadlines (claim_until) WHERE claim_until IS NOT NULL;
