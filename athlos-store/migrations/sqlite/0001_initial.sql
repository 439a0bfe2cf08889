-- Aggregates as JSON documents with an optimistic-concurrency version.
CREATE TABLE aggregates (
    kind     TEXT    NOT NULL,
    id       TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    state    TEXT,
    document TEXT    NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX aggregates_by_state ON aggregates (kind, state, id);

-- Content blobs by hash (stored once).
CREATE TABLE blobs (
    hash  TEXT PRIMARY KEY,
    bytes BLOB NOT NULL
) WITHOUT ROWID;

-- The append-only event log; the sequence is gapless (one writer at a time).
CREATE TABLE events (
    sequence  INTEGER PRIMARY KEY,
    aggregate TEXT NOT NULL,
    event     TEXT NOT NULL
);

-- The job queue. Times are microseconds since the Unix epoch.
CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    idempotency_key TEXT    UNIQUE,
    state           TEXT    NOT NULL,
    priority        INTEGER NOT NULL DEFAULT 0,
    run_at          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    worker          TEXT,
    lease_until     INTEGER,
    last_error      TEXT
);
CREATE INDEX jobs_due ON jobs (priority DESC, run_at, id) WHERE state IN ('queued', 'failed');
CREATE INDEX jobs_leased ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_by_state ON jobs (state, id);

-- Deadlines: one row per aggregate and purpose, claimed by schedulers.
CREATE TABLE deadlines (
    aggregate     TEXT    NOT NULL,
    purpose       TEXT    NOT NULL,
    next_deadline INTEGER NOT NULL,
    sequence      INTEGER NOT NULL,
    claimed_by    TEXT,
    claim_until   INTEGER,
    PRIMARY KEY (aggregate, purpose)
) WITHOUT ROWID;
CREATE INDEX deadlines_due ON deadlines (next_deadline, aggregate, purpose) WHERE claim_until IS NULL;
CREATE INDEX deadlines_claimed ON deadlines (claim_until) WHERE claim_until IS NOT NULL;
