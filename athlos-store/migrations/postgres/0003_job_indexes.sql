-- A claim and a completion each rewrite a job's row, and every index the row is in takes a
-- new entry each time (no HOT update: the state changes). Keep those writes few:
-- - jobs without an idempotency key have no entry in its unique index;
-- - listings by state go through an index only for the states that stay small or that
--   listings page through by id (queued, failed, dead); running jobs are found through
--   `athlos_jobs_leased`, succeeded ones (most of the table) by id.
ALTER TABLE athlos_jobs DROP CONSTRAINT athlos_jobs_idempotency_key_key;
CREATE UNIQUE INDEX athlos_jobs_idempotency_key ON athlos_jobs (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
DROP INDEX athlos_jobs_by_state;
CREATE INDEX athlos_jobs_listed ON athlos_jobs (state, id) WHERE state IN ('queued', 'failed', 'dead');
