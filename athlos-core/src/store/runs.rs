//! Runs: the user-facing face of the job queue, with cancellation and snapshot indexes.
//!
//! # Design: a run is a job
//!
//! A run (generate a division's bracket, generate all of an event's brackets, replay a log,
//! simulate placements) is a `Job` seen through `Run`, not a record of its own. The queue
//! already has what a run needs to be correct (one place that leases work, retries it, recovers
//! it from a dead worker, and completes it in the same commit as its effect), and a second
//! table kept in step with it would have to repeat each of those guarantees. So the job carries
//! the few things a run adds, as columns every store keeps:
//!
//! - `target`: what the run works on (`division:u17-60`, `competition:c1`), indexed for
//!   listings (only jobs that have one are in the index, so the queue's hot path pays nothing);
//!   listings filter by `kind` and state alongside;
//! - `created_at`, `started_at` (the latest attempt's claim) and `finished_at`;
//! - `cancel_requested`, and the state `JobState::Cancelled`;
//! - the `SnapshotIndex`: the blobs and aggregate versions the run read and wrote, stored by
//!   the commit that completes the run (`CompletedRun` in `Commit::completed_runs`), so the
//!   index exists exactly when the run's effect does.
//!
//! `RunStatus` is the run's face of `JobState`: a failed job waiting for its retry is a
//! `queued` run (with the last error), a dead job a `failed` one. Listing filters by status,
//! kind and target, and pages by id (`JobStore::runs`).
//!
//! # Cancellation
//!
//! `JobStore::request_cancel` decides by `CANCEL_RULES`, a table like the lifecycle machines':
//! a queued run (or one waiting for its retry) is cancelled at once and no claim takes it
//! again; a running one is marked `cancel_requested`, which its worker sees at its next
//! checkpoint (in `JobStore::heartbeat`'s answer or by reading the job). From then on
//! `STOP_RULES` hold: whatever the worker reports ends the run as cancelled, and a commit that
//! would complete it is refused with `StoreError::RunCancelled` and applies nothing, so a
//! cancelled run never commits a partial effect. A running run whose lease has expired when the
//! cancellation is asked (its worker is gone) is cancelled at once, and a cancel-requested run
//! is never claimed again after its lease expires.
//!
//! Known gap of this phase: `finished_at` is set where the store is told the time (a
//! cancellation, a completed run's commit); completions without a time (`complete`, `fail`)
//! leave it empty.
