-- Runs are jobs (see athlos_core::store::runs): what a run works on, whether its cancellation
-- was requested, when it was submitted, started and finished, and the snapshot index of what
-- it read and wrote (recorded by the commit that completes it). Existing jobs keep NULLs.
-- Listings by target go through an index of the jobs that have one (runs); cancelled jobs
-- join the states listed through the state index.
ALTER TABLE athlos_jobs
    ADD COLUMN target           TEXT,
    ADD COLUMN cancel_requested BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN created_at       TIMESTAMPTZ,
    ADD COLUMN started_at       TIMESTAMPTZ,
    ADD COLUMN finished_at      TIMESTAMPTZ,
    ADD COLUMN snapshot         JSONB;
CREATE INDEX athlos_jobs_by_target ON athlos_jobs (target, id) WHERE target IS NOT NULL;
DROP INDEX athlos_jobs_listed;
CREATE INDEX athlos_jobs_listed ON athlos_jobs (state, id)
    WHERE state IN ('queued', 'failed', 'dead', 'cancelled');
