//! The job queue: enqueues with idempotency keys, claims with leases, completions (alone, in
//! batches, with a claim, or in a commit with the job's effect), retries and dead letters.
//!
//! Claims are where the dialects differ most: PostgreSQL picks candidates with
//! `FOR UPDATE SKIP LOCKED` so claims run side by side, and completes and claims in one
//! statement; SQLite's one writer claims in one `UPDATE`, and completes and claims in one
//! transaction.

use async_trait::async_trait;
use athlos_core::error::StoreError;
use athlos_core::store::runs::cancel_outcome;
use athlos_core::store::{
    CancelOutcome, Cancellation, CompletedAndClaimed, CompletedRun, Job, JobId, JobState, JobStore,
    NewJob, QueueStat, RunFilter, Topic, Wakeup,
};

use crate::codec::{backend, i64_of, limit_of, u32_of, u64_of};
use crate::dialect::{id_param, json, query, Conn, Query, Row, Value};
use crate::{AnyStore, Result, Time};

const JOB_COLUMNS: &str = "id, kind, payload, idempotency_key, state, priority, run_at, attempts, \
                           max_attempts, worker, lease_until, last_error, target, \
                           cancel_requested, created_at, started_at, finished_at, snapshot";

/// What completing a job sets: succeeded, or cancelled when its cancellation was requested.
const SUCCEEDED: &str =
    "state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'succeeded' END, \
                         lease_until = NULL";

#[async_trait]
impl JobStore for AnyStore {
    async fn enqueue(&self, job: NewJob) -> Result<Job> {
        let job = enqueue(&mut self.db().writer().await?, job).await?;
        self.wake(Topic::Jobs);
        Ok(job)
    }

    async fn claim(&self, worker: &str, now: Time, until: Time, limit: usize) -> Result<Vec<Job>> {
        let claimed = self.complete_and_claim(&[], worker, None, now, until, limit);
        Ok(claimed.await?.claimed)
    }

    async fn complete(&self, id: JobId, worker: &str) -> Result<Job> {
        self.leased(id, worker, SUCCEEDED, Vec::new()).await
    }

    async fn fail(
        &self,
        id: JobId,
        worker: &str,
        error: String,
        retry_at: Time,
        now: Time,
    ) -> Result<Job> {
        let set = "state = CASE WHEN cancel_requested THEN 'cancelled' \
                   WHEN attempts >= max_attempts THEN 'dead' ELSE 'failed' END, \
                   finished_at = CASE WHEN cancel_requested OR attempts >= max_attempts \
                   THEN $5 ELSE finished_at END, \
                   run_at = $3, lease_until = NULL, last_error = $4";
        self.leased(
            id,
            worker,
            set,
            vec![retry_at.into(), error.into(), now.into()],
        )
        .await
    }

    async fn job(&self, id: JobId) -> Result<Option<Job>> {
        let found = query(format!(
            "SELECT {JOB_COLUMNS} FROM athlos_jobs WHERE id = $1"
        ));
        self.db().opt(found.bind(id_param(id.0)), job).await
    }

    async fn job_by_key(&self, key: &str) -> Result<Option<Job>> {
        self.db().opt(by_key(key), job).await
    }

    async fn jobs(
        &self,
        state: Option<JobState>,
        after: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>> {
        // The state is written into the statement (one of a few constants), so that the
        // planner sees which partial index serves it.
        let filter = state.map_or(String::new(), |state| {
            format!("state = '{}' AND ", state.as_str())
        });
        let page = query(format!(
            "SELECT {JOB_COLUMNS} FROM athlos_jobs WHERE {filter}id > $1 ORDER BY id LIMIT $2"
        ))
        .bind(after.map_or(0, |a| a.0))
        .bind(limit);
        self.db().all(page, job).await
    }

    async fn runs(
        &self,
        filter: &RunFilter,
        after: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>> {
        // States are written into the statement (constants), kind and target bound.
        let mut conditions = vec![String::from("id > $1")];
        if let Some(status) = filter.status {
            let states: Vec<String> = status
                .job_states()
                .iter()
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            conditions.push(format!("state IN ({})", states.join(", ")));
        }
        // Ids are signed 64-bit in the database: none is greater than one beyond that.
        let Ok(after) = i64::try_from(after.map_or(0, |a| a.0)) else {
            return Ok(Vec::new());
        };
        let mut values: Vec<Value> = vec![after.into()];
        for (column, value) in [("kind", &filter.kind), ("target", &filter.target)] {
            if let Some(value) = value {
                values.push(value.into());
                conditions.push(format!("{column} = ${}", values.len()));
            }
        }
        values.push(limit.into());
        let page = query(format!(
            "SELECT {JOB_COLUMNS} FROM athlos_jobs WHERE {} ORDER BY id LIMIT ${}",
            conditions.join(" AND "),
            values.len()
        ));
        let page = values.into_iter().fold(page, Query::bind);
        self.db().all(page, job).await
    }

    async fn request_cancel(&self, id: JobId, now: Time) -> Result<Cancellation> {
        let mut tx = self.db().begin().await?;
        let lock = if tx.is_postgres() { " FOR UPDATE" } else { "" };
        let found = query(format!(
            "SELECT {JOB_COLUMNS} FROM athlos_jobs WHERE id = $1{lock}"
        ))
        .bind(id_param(id.0))
        .row(&mut tx)
        .await?;
        let Some(found) = found else {
            return Err(StoreError::UnknownJob { id });
        };
        let found = job(&found)?;
        let outcome = cancel_outcome(&found, now);
        let set = match outcome {
            CancelOutcome::Cancelled => {
                "state = 'cancelled', cancel_requested = TRUE, lease_until = NULL, \
                 finished_at = $2"
            }
            CancelOutcome::StopRequested => "cancel_requested = TRUE",
            CancelOutcome::AlreadyFinished => {
                return Ok(Cancellation {
                    job: found,
                    outcome,
                })
            }
        };
        let updated = query(format!(
            "UPDATE athlos_jobs SET {set} WHERE id = $1 RETURNING {JOB_COLUMNS}"
        ))
        .bind(id)
        .bind_some((outcome == CancelOutcome::Cancelled).then_some(now))
        .one(&mut tx)
        .await?;
        let job = job(&updated)?;
        tx.commit().await?;
        Ok(Cancellation { job, outcome })
    }

    async fn sweep_cancelled(&self, now: Time) -> Result<Vec<Job>> {
        let mut conn = self.db().acquire().await?;
        let swept = query(format!(
            "UPDATE athlos_jobs SET state = 'cancelled', lease_until = NULL, finished_at = $1 \
             WHERE state = 'running' AND cancel_requested AND lease_until <= $1 \
             RETURNING {JOB_COLUMNS}"
        ))
        .bind(now)
        .rows(&mut conn)
        .await?;
        let mut jobs = swept.iter().map(job).collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|job| job.id);
        Ok(jobs)
    }

    async fn heartbeat(&self, id: JobId, worker: &str, lease_until: Time) -> Result<Job> {
        let set = "lease_until = $3";
        self.leased(id, worker, set, vec![lease_until.into()]).await
    }

    async fn complete_all(&self, ids: &[JobId], worker: &str) -> Result<Vec<JobId>> {
        Ok(self.finish(ids, worker, None).await?.completed)
    }

    async fn release(&self, id: JobId, worker: &str) -> Result<Job> {
        // A job whose cancellation was requested ends cancelled instead of going back.
        let set = "state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'queued' END, \
                   attempts = CASE WHEN cancel_requested THEN attempts \
                   WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, \
                   worker = CASE WHEN cancel_requested THEN worker END, lease_until = NULL";
        let job = self.leased(id, worker, set, Vec::new()).await?;
        self.wake(Topic::Jobs);
        Ok(job)
    }

    async fn requeue(&self, id: JobId, run_at: Time) -> Result<Job> {
        let requeued = query(format!(
            "UPDATE athlos_jobs SET state = 'queued', attempts = 0, run_at = $1, worker = NULL, \
             lease_until = NULL WHERE id = $2 AND state = 'dead' RETURNING {JOB_COLUMNS}"
        ))
        .bind(run_at)
        .bind(id);
        let Some(requeued) = self.db().opt(requeued, job).await? else {
            return Err(match self.job(id).await? {
                None => StoreError::UnknownJob { id },
                Some(found) => StoreError::JobNotDead {
                    id,
                    state: found.state.to_string(),
                },
            });
        };
        self.wake(Topic::Jobs);
        Ok(requeued)
    }

    async fn claim_kinds(
        &self,
        worker: &str,
        kinds: &[String],
        now: Time,
        lease_until: Time,
        limit: usize,
    ) -> Result<Vec<Job>> {
        let claimed = self.complete_and_claim(&[], worker, Some(kinds), now, lease_until, limit);
        Ok(claimed.await?.claimed)
    }

    async fn complete_and_claim(
        &self,
        done: &[JobId],
        worker: &str,
        kinds: Option<&[String]>,
        now: Time,
        lease_until: Time,
        limit: usize,
    ) -> Result<CompletedAndClaimed> {
        let wanted = Wanted {
            kinds,
            now,
            lease_until,
            limit,
        };
        // Of no kinds, nothing is claimed.
        let claims = limit > 0 && !kinds.is_some_and(<[String]>::is_empty);
        self.finish(done, worker, claims.then_some(&wanted)).await
    }

    async fn queue_stats(&self, now: Time) -> Result<Vec<QueueStat>> {
        let counted = query(
            "SELECT kind, state, COUNT(*) AS count, \
             COALESCE(SUM(CASE WHEN run_at <= $1 THEN 1 ELSE 0 END), 0) AS due, \
             MIN(CASE WHEN run_at <= $1 THEN run_at END) AS oldest_due \
             FROM athlos_jobs GROUP BY kind, state",
        )
        .bind(now);
        let mut stats = self
            .db()
            .all(counted, |row| {
                Ok(QueueStat {
                    kind: row.get("kind")?,
                    state: row.parse("state", JobState::parse)?,
                    count: u64_of(row.get("count")?)?,
                    due: u64_of(row.get("due")?)?,
                    oldest_due: row.opt_time("oldest_due")?,
                })
            })
            .await?;
        // By kind (bytewise), then in the enum's order (queued, running …), as every store
        // gives them.
        stats.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.state.cmp(&b.state)));
        Ok(stats)
    }

    fn parallel_writes(&self) -> bool {
        self.db().parallel_writes()
    }

    fn wakeup(&self, topic: Topic) -> Option<Wakeup> {
        Some(AnyStore::wakeup(self, topic))
    }
}

impl AnyStore {
    /// [`leased`] on a connection of its own.
    async fn leased(&self, id: JobId, worker: &str, set: &str, values: Vec<Value>) -> Result<Job> {
        leased(&mut self.db().acquire().await?, id, worker, set, values).await
    }

    /// Completes `done` as [`JobStore::complete_all`] does, then claims what `wanted` says
    /// (if anything): one statement on PostgreSQL, one transaction on SQLite.
    async fn finish(
        &self,
        done: &[JobId],
        worker: &str,
        wanted: Option<&Wanted<'_>>,
    ) -> Result<CompletedAndClaimed> {
        let ids = done
            .iter()
            .map(|id| i64_of(id.0))
            .collect::<Result<Vec<_>>>()?;
        let (mut completed, mut claimed) = match wanted {
            _ if ids.is_empty() && wanted.is_none() => (Vec::new(), Vec::new()),
            Some(wanted) if ids.is_empty() => (
                Vec::new(),
                claim(&mut self.db().queue().await?, worker, wanted).await?,
            ),
            _ if self.db().parallel_writes() => {
                let conn = &mut self.db().queue().await?;
                complete_and_claim_at_once(conn, ids, worker, wanted).await?
            }
            _ => {
                let mut tx = self.db().begin().await?;
                let completed = complete(&mut tx, ids, worker).await?;
                let claimed = match wanted {
                    Some(wanted) => claim(&mut tx, worker, wanted).await?,
                    None => Vec::new(),
                };
                tx.commit().await?;
                (completed, claimed)
            }
        };
        completed.sort();
        sort_claimed(&mut claimed);
        Ok(CompletedAndClaimed { completed, claimed })
    }
}

/// What a claim asks for.
struct Wanted<'a> {
    /// Only jobs of these kinds, when given.
    kinds: Option<&'a [String]>,
    now: Time,
    lease_until: Time,
    limit: usize,
}

/// The job enqueued under an idempotency key.
fn by_key(key: impl Into<Value>) -> Query {
    query(format!(
        "SELECT {JOB_COLUMNS} FROM athlos_jobs WHERE idempotency_key = $1"
    ))
    .bind(key)
}

/// Enqueues `new`, or returns the job already enqueued under its idempotency key.
pub(crate) async fn enqueue(conn: &mut Conn, new: NewJob) -> Result<Job> {
    // SQLite's one writer looks first, so that a repeated key uses up no id (its upsert
    // would); on PostgreSQL the upsert alone decides, race-free, in one round trip.
    if let (Some(key), false) = (&new.idempotency_key, conn.is_postgres()) {
        if let Some(row) = by_key(key).row(conn).await? {
            return job(&row);
        }
    }
    let inserted = query(format!(
        "INSERT INTO athlos_jobs (kind, payload, idempotency_key, state, priority, run_at, \
         attempts, max_attempts, target, created_at) \
         VALUES ($1, $2, $3, 'queued', $4, $5, 0, $6, $7, $8) \
         ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING \
         RETURNING {JOB_COLUMNS}"
    ))
    .bind(&new.kind)
    .bind(json(new.payload.to_string()))
    .bind(new.idempotency_key.clone())
    .bind(new.priority)
    .bind(new.run_at)
    .bind(i32::try_from(new.max_attempts.max(1)).unwrap_or(i32::MAX))
    .bind(new.target.clone())
    .bind(new.created_at.unwrap_or(new.run_at))
    .row(conn)
    .await?;
    match inserted {
        Some(row) => job(&row),
        None => job(&by_key(new.idempotency_key).one(conn).await?),
    }
}

/// Applies `set` to job `id` if `worker` holds it (`$1` is the id, `$2` the worker, then
/// `values`): the job as it is then, or why not.
async fn leased(
    conn: &mut Conn,
    id: JobId,
    worker: &str,
    set: &str,
    values: Vec<Value>,
) -> Result<Job> {
    let update = query(format!(
        "UPDATE athlos_jobs SET {set} WHERE id = $1 AND state = 'running' AND worker = $2 \
         RETURNING {JOB_COLUMNS}"
    ));
    let update = values
        .into_iter()
        .fold(update.bind(id).bind(worker), Query::bind);
    if let Some(row) = update.row(conn).await? {
        return job(&row);
    }
    let exists = query("SELECT id FROM athlos_jobs WHERE id = $1")
        .bind(id)
        .row(conn)
        .await?;
    Err(match exists {
        None => StoreError::UnknownJob { id },
        Some(_) => StoreError::LeaseLost {
            id,
            worker: worker.to_owned(),
        },
    })
}

/// Marks job `id` succeeded in a commit with its effect, if `worker` still holds it and its
/// cancellation was not requested, recording the run's snapshot index and finish time when
/// given.
pub(crate) async fn mark_succeeded(
    conn: &mut Conn,
    id: JobId,
    worker: &str,
    run: Option<&CompletedRun>,
) -> Result<()> {
    let (set, values) = match run {
        Some(run) => (
            "state = 'succeeded', lease_until = NULL, snapshot = $3, finished_at = $4",
            vec![
                json(serde_json::to_string(&run.index).map_err(backend)?),
                run.finished_at.into(),
            ],
        ),
        None => ("state = 'succeeded', lease_until = NULL", Vec::new()),
    };
    let update = query(format!(
        "UPDATE athlos_jobs SET {set} WHERE id = $1 AND state = 'running' AND worker = $2 \
         AND NOT cancel_requested RETURNING id"
    ));
    let update = values
        .into_iter()
        .fold(update.bind(id).bind(worker), Query::bind);
    if update.row(conn).await?.is_some() {
        return Ok(());
    }
    let found = query("SELECT state, worker, cancel_requested FROM athlos_jobs WHERE id = $1")
        .bind(id)
        .row(conn)
        .await?;
    let Some(found) = found else {
        return Err(StoreError::UnknownJob { id });
    };
    let held = found.get::<String>("state")? == "running"
        && found.get::<Option<String>>("worker")?.as_deref() == Some(worker);
    Err(if held && found.get::<bool>("cancel_requested")? {
        StoreError::RunCancelled { id }
    } else {
        StoreError::LeaseLost {
            id,
            worker: worker.to_owned(),
        }
    })
}

/// Claims up to `wanted.limit` due jobs for `worker`, in claim order.
async fn claim(conn: &mut Conn, worker: &str, wanted: &Wanted<'_>) -> Result<Vec<Job>> {
    let claimed = if conn.is_postgres() {
        let sql = format!(
            "WITH {} SELECT {JOB_COLUMNS} FROM claimed",
            claim_ctes(wanted.limit, wanted.kinds.map(|_| "$4"), None)
        );
        query(sql)
            .bind(worker)
            .bind(wanted.lease_until)
            .bind(wanted.now)
            .bind_some(wanted.kinds.map(<[String]>::to_vec))
    } else {
        // `$5`: the kinds as a JSON array, or NULL for every kind.
        query(format!(
            "UPDATE athlos_jobs SET state = 'running', attempts = attempts + 1, worker = $1, \
             lease_until = $2, started_at = $3 WHERE id IN (SELECT id FROM (\
               SELECT * FROM (SELECT id, priority, run_at FROM athlos_jobs \
                 WHERE state IN ('queued', 'failed') AND run_at <= $3 \
                 AND ($5 IS NULL OR kind IN (SELECT value FROM json_each($5))) \
                 ORDER BY priority DESC, run_at, id LIMIT $4) \
               UNION ALL \
               SELECT * FROM (SELECT id, priority, run_at FROM athlos_jobs \
                 WHERE state = 'running' AND lease_until <= $3 AND NOT cancel_requested \
                 AND ($5 IS NULL OR kind IN (SELECT value FROM json_each($5))) \
                 ORDER BY lease_until LIMIT $4)) \
               ORDER BY priority DESC, run_at, id LIMIT $4) \
             RETURNING {JOB_COLUMNS}"
        ))
        .bind(worker)
        .bind(wanted.lease_until)
        .bind(wanted.now)
        .bind(wanted.limit)
        .bind(wanted.kinds.map(<[String]>::to_vec))
    };
    let mut jobs = claim_rows(claimed.rows(conn).await?)?;
    sort_claimed(&mut jobs);
    Ok(jobs)
}

/// SQLite: marks the jobs of `ids` that `worker` holds succeeded, in the transaction `conn`
/// is in; returns those, and those it completed already (with their effect, in a commit: they
/// are marked again, alike).
async fn complete(conn: &mut Conn, ids: Vec<i64>, worker: &str) -> Result<Vec<JobId>> {
    let done = query(format!(
        "UPDATE athlos_jobs SET {SUCCEEDED} WHERE id IN (SELECT value FROM json_each($1)) \
         AND state IN ('running', 'succeeded', 'cancelled') AND worker = $2 RETURNING id"
    ))
    .bind(ids)
    .bind(worker)
    .rows(conn)
    .await?;
    done.iter()
        .map(|row| Ok(JobId(u64_of(row.get("id")?)?)))
        .collect()
}

/// PostgreSQL: completes `done` and claims what `wanted` says (if anything) in one statement.
async fn complete_and_claim_at_once(
    conn: &mut Conn,
    done: Vec<i64>,
    worker: &str,
    wanted: Option<&Wanted<'_>>,
) -> Result<(Vec<JobId>, Vec<Job>)> {
    // The claim leaves out the jobs this statement completes: a row is updated once per
    // statement (a job held by this worker whose lease ran out would be a candidate).
    // One row always comes back, with the completed ids and a claimed job or NULLs.
    let claims = match wanted {
        Some(wanted) => claim_ctes(wanted.limit, wanted.kinds.map(|_| "$5"), Some("$4")),
        None => String::from("claimed AS (SELECT NULL::BIGINT AS id WHERE false)"),
    };
    let sql = format!(
        "WITH marked AS (\
           UPDATE athlos_jobs SET {SUCCEEDED} \
           WHERE id = ANY($4) AND state = 'running' AND worker = $1 RETURNING id), \
         completed AS (\
           SELECT id FROM marked UNION ALL \
           SELECT id FROM athlos_jobs WHERE id = ANY($4) \
             AND state IN ('succeeded', 'cancelled') \
             AND worker = $1 AND (SELECT COUNT(*) FROM marked) < cardinality($4)), \
         {claims}, finished AS (SELECT array_agg(id) AS ids FROM completed) \
         SELECT finished.ids AS finished, claimed.* FROM finished LEFT JOIN claimed ON true"
    );
    let rows = query(sql)
        .bind(worker)
        .bind(wanted.map(|wanted| wanted.lease_until))
        .bind(wanted.map(|wanted| wanted.now))
        .bind(done)
        .bind_some(wanted.and_then(|wanted| wanted.kinds.map(<[String]>::to_vec)))
        .rows(conn)
        .await?;
    let mut completed = Vec::new();
    if let Some(Row::Postgres(first)) = rows.first() {
        use sqlx::Row as _;
        let ids: Option<Vec<i64>> = first.try_get("finished").map_err(backend)?;
        completed = ids
            .unwrap_or_default()
            .into_iter()
            .map(|id| u64_of(id).map(JobId))
            .collect::<Result<_>>()?;
    }
    Ok((completed, claim_rows(rows)?))
}

/// The claimed jobs of rows that may have a NULL id (nothing claimed).
fn claim_rows(rows: Vec<Row>) -> Result<Vec<Job>> {
    let claimed = rows
        .iter()
        .filter_map(|row| match row.get::<Option<i64>>("id") {
            Ok(None) => None,
            // A claimed job, or the error reading it.
            _ => Some(job(row)),
        });
    claimed.collect()
}

/// The CTEs of a PostgreSQL claim of up to `limit` jobs by worker `$1` until `$2`, due at
/// `$3`, ending in `claimed` (the updated rows): of the kinds in the parameter `kinds` names
/// when given, and never one of the ids in the parameter `skip` names that the worker holds.
///
/// The limit is written into the statement rather than bound, so that a generic plan knows
/// how few rows it wants (the queue's connections plan generically). The candidates carry
/// their order, so that neither picking nor updating goes back to the table for more than
/// the rows picked (by primary key).
fn claim_ctes(limit: usize, kinds: Option<&str>, skip: Option<&str>) -> String {
    let limit = limit_of(limit);
    let kinds = kinds.map_or(String::new(), |p| format!(" AND kind = ANY({p})"));
    let skip = skip.map_or(String::new(), |p| {
        format!(" AND NOT (id = ANY({p}) AND worker IS NOT DISTINCT FROM $1)")
    });
    format!(
        "due AS (\
           SELECT id, priority, run_at FROM athlos_jobs \
           WHERE state IN ('queued', 'failed') AND run_at <= $3{kinds} \
           ORDER BY priority DESC, run_at, id LIMIT {limit} FOR UPDATE SKIP LOCKED), \
         expired AS (\
           SELECT id, priority, run_at FROM athlos_jobs \
           WHERE state = 'running' AND lease_until <= $3 AND NOT cancel_requested{kinds}{skip} \
           ORDER BY lease_until LIMIT {limit} FOR UPDATE SKIP LOCKED), \
         picked AS (\
           SELECT id FROM (SELECT * FROM due UNION ALL SELECT * FROM expired) candidates \
           ORDER BY priority DESC, run_at, id LIMIT {limit}), \
         claimed AS (\
           UPDATE athlos_jobs SET state = 'running', attempts = attempts + 1, worker = $1, \
             lease_until = $2, started_at = $3 WHERE id = ANY(ARRAY(SELECT id FROM picked)) \
           RETURNING {JOB_COLUMNS})"
    )
}

/// Claimed jobs in claim order: higher priority first, then earlier run time, then id.
fn sort_claimed(jobs: &mut [Job]) {
    jobs.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(a.run_at.cmp(&b.run_at))
            .then(a.id.cmp(&b.id))
    });
}

fn job(row: &Row) -> Result<Job> {
    Ok(Job {
        id: JobId(u64_of(row.get("id")?)?),
        kind: row.get("kind")?,
        payload: row.json("payload")?,
        idempotency_key: row.get("idempotency_key")?,
        state: row.parse("state", JobState::parse)?,
        run_at: row.time("run_at")?,
        attempts: u32_of(row.int("attempts")?)?,
        max_attempts: u32_of(row.int("max_attempts")?)?,
        worker: row.get("worker")?,
        lease_until: row.opt_time("lease_until")?,
        last_error: row.get("last_error")?,
        priority: row.get("priority")?,
        target: row.get("target")?,
        cancel_requested: row.get("cancel_requested")?,
        created_at: row.opt_time("created_at")?,
        started_at: row.opt_time("started_at")?,
        finished_at: row.opt_time("finished_at")?,
        snapshot: row.opt_json("snapshot")?,
    })
}
