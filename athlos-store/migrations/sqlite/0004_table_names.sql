-- One naming scheme on both backends: the tables take PostgreSQL's names (`athlos_…`), so that
-- the statements are written once for both. The job table is rebuilt (SQLite cannot drop a
-- column's UNIQUE constraint) with the indexes PostgreSQL has since 0003_job_indexes: the
-- idempotency key's unique index holds only jobs that have a key (what an enqueue's upsert
-- names), and the index of listings by state only queued, failed and dead jobs.
ALTER TABLE aggregates RENAME TO athlos_aggregates;
ALTER TABLE blobs RENAME TO athlos_blobs;
ALTER TABLE events RENAME TO athlos_events;
ALTER TABLE deadlines RENAME TO athlos_deadlines;
ALTER TABLE webhooks RENAME TO athlos_webhooks;
ALTER TABLE webhook_deliveries RENAME TO athlos_webhook_deliveries;
ALTER TABLE webhook_cursor RENAME TO athlos_webhook_cursor;

CREATE TABLE athlos_jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    idempotency_key TEXT,
    state           TEXT    NOT NULL,
    priority        INTEGER NOT NULL DEFAULT 0,
    run_at          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    worker          TEXT,
    lease_until     INTEGER,
    last_error      TEXT
);
INSERT INTO athlos_jobs (id, kind, payload, idempotency_key, state, priority, run_at, attempts,
                         max_attempts, worker, lease_until, last_error)
    SELECT id, kind, payload, idempotency_key, state, priority, run_at, attempts, max_attempts,
           worker, lease_until, last_error
    FROM jobs;
-- Ids are never reused: the new table goes on from the old one's last id.
DELETE FROM sqlite_sequence WHERE name = 'athlos_jobs';
INSERT INTO sqlite_sequence (name, seq) SELECT 'athlos_jobs', seq FROM sqlite_sequence WHERE name = 'jobs';
DROP TABLE jobs;
CREATE INDEX athlos_jobs_due ON athlos_jobs (priority DESC, run_at, id) WHERE state IN ('queued', 'failed');
CREATE INDEX athlos_jobs_leased ON athlos_jobs (lease_until) WHERE state = 'running';
CREATE UNIQUE INDEX athlos_jobs_idempotency_key ON athlos_jobs (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX athlos_jobs_listed ON athlos_jobs (state, id) WHERE state IN ('queued', 'failed', 'dead');
