//! The PostgreSQL backend: JSONB documents, `TIMESTAMPTZ` times, `SKIP LOCKED` claims.

use std::str::FromStr;
use std::time::Duration;

use athlos_core::error::StoreError;
use athlos_core::event::Event;
use athlos_core::store::{
    AggregateRef, Commit, CompletedAndClaimed, Deadline, DeadlineKey, Job, JobId, JobState,
    LoggedEvent, NewJob, Receipt, Stored,
};
use athlos_core::version::ContentHash;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::{Executor, Row};

use crate::codec::{
    backend, deadline_aggregate, deadline_key, from_json, i64_of, job_state, kind_and_id, limit_of,
    u32_of, u64_of, write_row, Document,
};
use crate::OpenError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The PostgreSQL store.
#[derive(Debug, Clone)]
pub(crate) struct PgStore {
    pub(crate) pool: PgPool,
    /// Claims and completions of jobs, on connections of their own that plan each statement
    /// once (`plan_cache_mode = force_generic_plan`). PostgreSQL would otherwise plan them
    /// again on every call: a plan for the ids and limit at hand looks cheaper than the
    /// generic one, and planning them cost about three times their execution. Their generic
    /// plans are the ones wanted (index scans, with the limit written into the statement).
    queue: PgPool,
}

/// Connections of [`PgStore::queue`] (claims of free slots run up to eight side by side).
const QUEUE_CONNECTIONS: u32 = 8;

const JOB_COLUMNS: &str = "id, kind, payload, idempotency_key, state, priority, run_at, attempts, \
                           max_attempts, worker, lease_until, last_error";

impl PgStore {
    pub(crate) async fn connect(url: &str) -> Result<Self, OpenError> {
        let options = PgConnectOptions::from_str(url).map_err(|e| OpenError::Url {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .map_err(|e| OpenError::Connect {
                reason: e.to_string(),
            })?;
        MIGRATOR.run(&pool).await.map_err(|e| OpenError::Migrate {
            reason: e.to_string(),
        })?;
        let queue = PgPoolOptions::new()
            .max_connections(QUEUE_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("SET plan_cache_mode = force_generic_plan")
                        .await
                        .map(|_| ())
                })
            })
            .connect_lazy_with(options);
        Ok(Self { pool, queue })
    }

    pub(crate) async fn ready(&self) -> Result<(), StoreError> {
        let applied: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?;
        let expected = i64::try_from(MIGRATOR.iter().count()).unwrap_or(i64::MAX);
        if applied < expected {
            return Err(backend(format!(
                "{applied} of {expected} migrations applied"
            )));
        }
        Ok(())
    }

    pub(crate) async fn close(&self) {
        self.queue.close().await;
        self.pool.close().await;
    }

    pub(crate) async fn document<T: Document>(
        &self,
        id: &str,
    ) -> Result<Option<Stored<T>>, StoreError> {
        let row = sqlx::query(
            "SELECT version, document FROM athlos_aggregates WHERE kind = $1 AND id = $2",
        )
        .bind(T::KIND)
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.map(|row| stored(&row)).transpose()
    }

    /// Documents of `T`'s kind, by id, only those in `state` when given, paged.
    pub(crate) async fn in_state<T: Document>(
        &self,
        state: Option<String>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<T>>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, document FROM athlos_aggregates WHERE kind = $1 \
             AND ($2::text IS NULL OR state = $2) ORDER BY id LIMIT $3 OFFSET $4",
        )
        .bind(T::KIND)
        .bind(state)
        .bind(limit_of(limit))
        .bind(limit_of(offset))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(stored).collect()
    }

    /// Documents of `T`'s kind, by id, paged.
    pub(crate) async fn documents<T: Document>(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<T>>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, document FROM athlos_aggregates WHERE kind = $1 \
             ORDER BY id LIMIT $2 OFFSET $3",
        )
        .bind(T::KIND)
        .bind(limit_of(limit))
        .bind(limit_of(offset))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(stored).collect()
    }

    pub(crate) async fn blob(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, StoreError> {
        sqlx::query_scalar("SELECT bytes FROM athlos_blobs WHERE hash = $1")
            .bind(hash.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)
    }

    pub(crate) async fn events_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT sequence, aggregate, event FROM athlos_events WHERE sequence > $1 \
             ORDER BY sequence LIMIT $2",
        )
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(limit_of(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| {
                let sequence: i64 = row.try_get("sequence").map_err(backend)?;
                let aggregate: serde_json::Value = row.try_get("aggregate").map_err(backend)?;
                let event: serde_json::Value = row.try_get("event").map_err(backend)?;
                Ok(LoggedEvent {
                    sequence: u64_of(sequence)?,
                    aggregate: from_json(aggregate)?,
                    event: from_json(event)?,
                })
            })
            .collect()
    }

    pub(crate) async fn commit(&self, commit: Commit) -> Result<Receipt, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let receipt = apply(&mut tx, commit).await?;
        tx.commit().await.map_err(backend)?;
        Ok(receipt)
    }

    pub(crate) async fn delete(
        &self,
        aggregate: &AggregateRef,
        expected: u64,
        events: Vec<(AggregateRef, Event)>,
    ) -> Result<Receipt, StoreError> {
        let (kind, id) = kind_and_id(aggregate)?;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let done = sqlx::query(
            "DELETE FROM athlos_aggregates WHERE kind = $1 AND id = $2 AND version = $3",
        )
        .bind(&kind)
        .bind(&id)
        .bind(i64_of(expected)?)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if done.rows_affected() != 1 {
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT version FROM athlos_aggregates WHERE kind = $1 AND id = $2",
            )
            .bind(&kind)
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            // Dropping the transaction rolls it back.
            return Err(StoreError::Conflict {
                aggregate: aggregate.to_string(),
                expected: Some(expected),
                found: found.map(u64_of).transpose()?,
            });
        }
        sqlx::query("DELETE FROM athlos_deadlines WHERE aggregate = $1")
            .bind(aggregate.to_string())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let receipt = apply(
            &mut tx,
            Commit {
                events,
                ..Commit::default()
            },
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok(receipt)
    }

    pub(crate) async fn enqueue(&self, job: NewJob) -> Result<Job, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        enqueue(&mut conn, job).await
    }

    /// Claims due jobs; `kinds` limits them when given.
    pub(crate) async fn claim(
        &self,
        worker: &str,
        kinds: Option<&[String]>,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        let sql = format!(
            "WITH {} SELECT {JOB_COLUMNS} FROM claimed",
            claim_ctes(limit, kinds.map(|_| "$4"), None)
        );
        let query = sqlx::query(&sql).bind(worker).bind(lease_until).bind(now);
        let query = match kinds {
            Some(kinds) => query.bind(kinds),
            None => query,
        };
        let rows = query.fetch_all(&self.queue).await.map_err(backend)?;
        let mut jobs = rows.iter().map(job).collect::<Result<Vec<_>, _>>()?;
        crate::sort_claimed(&mut jobs);
        Ok(jobs)
    }

    /// Completes `done` and claims up to `limit` due jobs (of `kinds`, when given) in one
    /// statement.
    pub(crate) async fn complete_and_claim(
        &self,
        done: &[JobId],
        worker: &str,
        kinds: Option<&[String]>,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<CompletedAndClaimed, StoreError> {
        let done = done
            .iter()
            .map(|id| i64_of(id.0))
            .collect::<Result<Vec<_>, _>>()?;
        // The claim leaves out the jobs this statement completes: a row is updated once per
        // statement (a job held by this worker whose lease ran out would be a candidate).
        // One row always comes back, with the completed ids and a claimed job or NULLs.
        let sql = format!(
            "WITH {}, {}, \
             finished AS (SELECT array_agg(id) AS ids FROM completed) \
             SELECT finished.ids AS finished, claimed.* FROM finished \
             LEFT JOIN claimed ON true",
            completed_ctes("$4"),
            claim_ctes(limit, kinds.map(|_| "$5"), Some("$4"))
        );
        let query = sqlx::query(&sql)
            .bind(worker)
            .bind(lease_until)
            .bind(now)
            .bind(&done);
        let query = match kinds {
            Some(kinds) => query.bind(kinds),
            None => query,
        };
        let rows = query.fetch_all(&self.queue).await.map_err(backend)?;
        let mut completed: Vec<JobId> = Vec::new();
        let mut claimed = Vec::with_capacity(rows.len());
        for (index, row) in rows.iter().enumerate() {
            if index == 0 {
                let ids: Option<Vec<i64>> = row.try_get("finished").map_err(backend)?;
                completed = ids
                    .unwrap_or_default()
                    .into_iter()
                    .map(|id| u64_of(id).map(JobId))
                    .collect::<Result<_, _>>()?;
            }
            let id: Option<i64> = row.try_get("id").map_err(backend)?;
            if id.is_some() {
                claimed.push(job(row)?);
            }
        }
        completed.sort();
        crate::sort_claimed(&mut claimed);
        Ok(CompletedAndClaimed { completed, claimed })
    }

    pub(crate) async fn complete(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
        let sql = format!(
            "UPDATE athlos_jobs SET state = 'succeeded', lease_until = NULL \
             WHERE id = $1 AND state = 'running' AND worker = $2 RETURNING {JOB_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(i64_of(id.0)?)
            .bind(worker)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        self.leased_or_error(row, id, worker).await
    }

    pub(crate) async fn complete_all(
        &self,
        ids: &[JobId],
        worker: &str,
    ) -> Result<Vec<JobId>, StoreError> {
        let ids = ids
            .iter()
            .map(|id| i64_of(id.0))
            .collect::<Result<Vec<_>, _>>()?;
        let sql = format!("WITH {} SELECT id FROM completed", completed_ctes("$2"));
        let done: Vec<i64> = sqlx::query_scalar(&sql)
            .bind(worker)
            .bind(&ids)
            .fetch_all(&self.queue)
            .await
            .map_err(backend)?;
        let mut done = done
            .into_iter()
            .map(|id| u64_of(id).map(JobId))
            .collect::<Result<Vec<_>, _>>()?;
        done.sort();
        Ok(done)
    }

    pub(crate) async fn fail(
        &self,
        id: JobId,
        worker: &str,
        error: String,
        retry_at: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        let sql = format!(
            "UPDATE athlos_jobs SET \
             state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'failed' END, \
             run_at = $1, lease_until = NULL, last_error = $2 \
             WHERE id = $3 AND state = 'running' AND worker = $4 RETURNING {JOB_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(retry_at)
            .bind(error)
            .bind(i64_of(id.0)?)
            .bind(worker)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        self.leased_or_error(row, id, worker).await
    }

    pub(crate) async fn heartbeat(
        &self,
        id: JobId,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        let sql = format!(
            "UPDATE athlos_jobs SET lease_until = $1 \
             WHERE id = $2 AND state = 'running' AND worker = $3 RETURNING {JOB_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(lease_until)
            .bind(i64_of(id.0)?)
            .bind(worker)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        self.leased_or_error(row, id, worker).await
    }

    pub(crate) async fn release(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
        let sql = format!(
            "UPDATE athlos_jobs SET state = 'queued', attempts = GREATEST(attempts - 1, 0), \
             worker = NULL, lease_until = NULL \
             WHERE id = $1 AND state = 'running' AND worker = $2 RETURNING {JOB_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(i64_of(id.0)?)
            .bind(worker)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        self.leased_or_error(row, id, worker).await
    }

    pub(crate) async fn requeue(
        &self,
        id: JobId,
        run_at: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        let sql = format!(
            "UPDATE athlos_jobs SET state = 'queued', attempts = 0, run_at = $1, worker = NULL, \
             lease_until = NULL WHERE id = $2 AND state = 'dead' RETURNING {JOB_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(run_at)
            .bind(i64_of(id.0)?)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        match row {
            Some(row) => job(&row),
            None => match self.job(id).await? {
                None => Err(StoreError::UnknownJob { id }),
                Some(found) => Err(StoreError::JobNotDead {
                    id,
                    state: found.state.to_string(),
                }),
            },
        }
    }

    pub(crate) async fn job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        // Ids are signed 64-bit in the database: a larger one names nothing.
        let Ok(key) = i64::try_from(id.0) else {
            return Ok(None);
        };
        let sql = format!("SELECT {JOB_COLUMNS} FROM athlos_jobs WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| job(&row)).transpose()
    }

    pub(crate) async fn job_by_key(&self, key: &str) -> Result<Option<Job>, StoreError> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM athlos_jobs WHERE idempotency_key = $1");
        let row = sqlx::query(&sql)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| job(&row)).transpose()
    }

    pub(crate) async fn jobs(
        &self,
        state: Option<JobState>,
        after: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        // The state is written into the statement (one of a few constants), so that the
        // planner sees which partial index serves it.
        let filter = state.map_or(String::new(), |state| {
            format!("state = '{}' AND ", state.as_str())
        });
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM athlos_jobs WHERE {filter}id > $1 ORDER BY id LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(i64_of(after.map_or(0, |a| a.0))?)
            .bind(limit_of(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(job).collect()
    }

    async fn leased_or_error(
        &self,
        row: Option<PgRow>,
        id: JobId,
        worker: &str,
    ) -> Result<Job, StoreError> {
        match row {
            Some(row) => job(&row),
            None => match self.job(id).await? {
                None => Err(StoreError::UnknownJob { id }),
                Some(_) => Err(StoreError::LeaseLost {
                    id,
                    worker: worker.to_owned(),
                }),
            },
        }
    }

    pub(crate) async fn set_deadline(&self, deadline: Deadline) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        set_deadline(&mut conn, &deadline).await
    }

    pub(crate) async fn clear_deadline(&self, key: &DeadlineKey) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        clear_deadline(&mut conn, key).await
    }

    pub(crate) async fn deadline(&self, key: &DeadlineKey) -> Result<Option<Deadline>, StoreError> {
        let row = sqlx::query(
            "SELECT aggregate, purpose, next_deadline, sequence FROM athlos_deadlines \
             WHERE aggregate = $1 AND purpose = $2",
        )
        .bind(deadline_aggregate(key))
        .bind(&key.purpose)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.map(|row| deadline(&row)).transpose()
    }

    pub(crate) async fn due_deadlines(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deadline>, StoreError> {
        let rows = sqlx::query(
            "SELECT aggregate, purpose, next_deadline, sequence FROM athlos_deadlines \
             WHERE next_deadline <= $1 ORDER BY next_deadline, aggregate, purpose LIMIT $2",
        )
        .bind(now)
        .bind(limit_of(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(deadline).collect()
    }

    pub(crate) async fn claim_deadlines(
        &self,
        scheduler: &str,
        now: DateTime<Utc>,
        claim_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deadline>, StoreError> {
        let rows = sqlx::query(
            "WITH expired AS (\
               SELECT aggregate, purpose FROM athlos_deadlines \
               WHERE claim_until IS NOT NULL AND claim_until <= $3 \
               ORDER BY claim_until LIMIT $4 FOR UPDATE SKIP LOCKED), \
             due AS (\
               SELECT aggregate, purpose FROM athlos_deadlines \
               WHERE claim_until IS NULL AND next_deadline <= $3 \
               ORDER BY next_deadline, aggregate, purpose LIMIT $4 FOR UPDATE SKIP LOCKED), \
             picked AS (\
               SELECT d.aggregate, d.purpose FROM athlos_deadlines d \
               JOIN (SELECT * FROM expired UNION ALL SELECT * FROM due) x \
                 ON d.aggregate = x.aggregate AND d.purpose = x.purpose \
               ORDER BY d.next_deadline, d.aggregate, d.purpose LIMIT $4) \
             UPDATE athlos_deadlines d SET claimed_by = $1, claim_until = $2 FROM picked p \
             WHERE d.aggregate = p.aggregate AND d.purpose = p.purpose \
             RETURNING d.aggregate, d.purpose, d.next_deadline, d.sequence",
        )
        .bind(scheduler)
        .bind(claim_until)
        .bind(now)
        .bind(limit_of(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let mut claimed = rows.iter().map(deadline).collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.key.cmp(&b.key)));
        Ok(claimed)
    }

    pub(crate) async fn next_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        sqlx::query_scalar(
            "SELECT LEAST(\
               (SELECT MIN(next_deadline) FROM athlos_deadlines WHERE claim_until IS NULL), \
               (SELECT MIN(claim_until) FROM athlos_deadlines WHERE claim_until IS NOT NULL))",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(backend)
    }
}

/// The CTEs completing the jobs whose ids the parameter `ids` names for worker `$1`, ending in
/// `completed` (their ids): those it still holds, and those it completed already (with their
/// effect, in a commit). The second SELECT sees the rows as they were before the UPDATE, and
/// runs only when the UPDATE left some out.
fn completed_ctes(ids: &str) -> String {
    format!(
        "marked AS (\
           UPDATE athlos_jobs SET state = 'succeeded', lease_until = NULL \
           WHERE id = ANY({ids}) AND state = 'running' AND worker = $1 RETURNING id), \
         completed AS (\
           SELECT id FROM marked UNION ALL \
           SELECT id FROM athlos_jobs WHERE id = ANY({ids}) AND state = 'succeeded' \
             AND worker = $1 AND (SELECT COUNT(*) FROM marked) < cardinality({ids}))"
    )
}

/// The CTEs of a claim of up to `limit` jobs by worker `$1` until `$2`, due at `$3`, ending in
/// `claimed` (the updated rows): of the kinds in the parameter `kinds` names when given, and
/// never one of the ids in the parameter `skip` names that the worker holds.
///
/// The limit is written into the statement rather than bound, so that a generic plan knows
/// how few rows it wants (see [`PgStore::queue`]). The candidates carry their order, so that
/// neither picking nor updating goes back to the table for more than the rows picked (by
/// primary key).
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
           WHERE state = 'running' AND lease_until <= $3{kinds}{skip} \
           ORDER BY lease_until LIMIT {limit} FOR UPDATE SKIP LOCKED), \
         picked AS (\
           SELECT id FROM (SELECT * FROM due UNION ALL SELECT * FROM expired) candidates \
           ORDER BY priority DESC, run_at, id LIMIT {limit}), \
         claimed AS (\
           UPDATE athlos_jobs SET state = 'running', attempts = attempts + 1, worker = $1, \
             lease_until = $2 WHERE id = ANY(ARRAY(SELECT id FROM picked)) \
           RETURNING {JOB_COLUMNS})"
    )
}

async fn apply(conn: &mut PgConnection, commit: Commit) -> Result<Receipt, StoreError> {
    // Writes go in a fixed order (kind, id) so two commits never wait on each other in a cycle.
    let rows = commit
        .writes
        .iter()
        .map(write_row)
        .collect::<Result<Vec<_>, _>>()?;
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| (&rows[a].kind, &rows[a].id).cmp(&(&rows[b].kind, &rows[b].id)));
    let versions = rows
        .iter()
        .map(|r| r.expected.map_or(1, |v| v.saturating_add(1)))
        .collect();
    for index in order {
        let row = &rows[index];
        let done = match row.expected {
            None => sqlx::query(
                "INSERT INTO athlos_aggregates (kind, id, version, state, document) \
                 VALUES ($1, $2, 1, $3, $4::text::jsonb) ON CONFLICT (kind, id) DO NOTHING",
            )
            .bind(&row.kind)
            .bind(&row.id)
            .bind(&row.state)
            .bind(&row.document)
            .execute(&mut *conn)
            .await
            .map_err(backend)?,
            Some(expected) => sqlx::query(
                "UPDATE athlos_aggregates SET version = version + 1, state = $1, \
                 document = $2::text::jsonb \
                 WHERE kind = $3 AND id = $4 AND version = $5",
            )
            .bind(&row.state)
            .bind(&row.document)
            .bind(&row.kind)
            .bind(&row.id)
            .bind(i64_of(expected)?)
            .execute(&mut *conn)
            .await
            .map_err(backend)?,
        };
        if done.rows_affected() != 1 {
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT version FROM athlos_aggregates WHERE kind = $1 AND id = $2",
            )
            .bind(&row.kind)
            .bind(&row.id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
            return Err(StoreError::Conflict {
                aggregate: row.aggregate.to_string(),
                expected: row.expected,
                found: found.map(u64_of).transpose()?,
            });
        }
    }
    for fired in &commit.fired_deadlines {
        let done = sqlx::query(
            "DELETE FROM athlos_deadlines WHERE aggregate = $1 AND purpose = $2 AND sequence = $3",
        )
        .bind(deadline_aggregate(&fired.key))
        .bind(&fired.key.purpose)
        .bind(i64_of(fired.sequence)?)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        if done.rows_affected() != 1 {
            return Err(StoreError::DeadlineMoved {
                key: fired.key.to_string(),
                sequence: fired.sequence,
            });
        }
    }
    for (id, worker) in &commit.completed_jobs {
        let done = sqlx::query(
            "UPDATE athlos_jobs SET state = 'succeeded', lease_until = NULL \
             WHERE id = $1 AND state = 'running' AND worker = $2",
        )
        .bind(i64_of(id.0)?)
        .bind(worker)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
        if done.rows_affected() != 1 {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM athlos_jobs WHERE id = $1")
                    .bind(i64_of(id.0)?)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(backend)?;
            return Err(match exists {
                None => StoreError::UnknownJob { id: *id },
                Some(_) => StoreError::LeaseLost {
                    id: *id,
                    worker: worker.clone(),
                },
            });
        }
    }
    for (hash, bytes) in &commit.blobs {
        sqlx::query(
            "INSERT INTO athlos_blobs (hash, bytes) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING",
        )
        .bind(hash.as_str())
        .bind(bytes)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    }
    for job in commit.jobs {
        enqueue(conn, job).await?;
    }
    for deadline in &commit.deadlines {
        set_deadline(conn, deadline).await?;
    }
    for key in &commit.cleared_deadlines {
        clear_deadline(conn, key).await?;
    }
    // Events last, in one statement: the counter row's lock serialises appends until this
    // transaction ends, so the log has no gaps and its order is the commit order. Holding it
    // briefly matters: one round trip, then the commit.
    let mut sequences = Vec::new();
    if !commit.events.is_empty() {
        let count = i64::try_from(commit.events.len()).map_err(backend)?;
        let mut aggregates = Vec::with_capacity(commit.events.len());
        let mut events = Vec::with_capacity(commit.events.len());
        for (aggregate, event) in &commit.events {
            aggregates.push(serde_json::to_value(aggregate).map_err(backend)?);
            events.push(serde_json::to_value(event).map_err(backend)?);
        }
        let appended: Vec<i64> = sqlx::query_scalar(
            "WITH counter AS (\
               UPDATE athlos_event_counter SET last = last + $1 RETURNING last) \
             INSERT INTO athlos_events (sequence, aggregate, event) \
             SELECT counter.last - $1 + e.ord, e.aggregate, e.event \
             FROM counter, UNNEST($2::jsonb[], $3::jsonb[]) WITH ORDINALITY AS e(aggregate, event, ord) \
             RETURNING sequence",
        )
        .bind(count)
        .bind(&aggregates)
        .bind(&events)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
        if appended.len() != commit.events.len() {
            return Err(backend(format!(
                "{} of {} events appended",
                appended.len(),
                commit.events.len()
            )));
        }
        sequences = appended
            .into_iter()
            .map(u64_of)
            .collect::<Result<Vec<_>, _>>()?;
        sequences.sort_unstable();
    }
    Ok(Receipt {
        versions,
        sequences,
    })
}

async fn enqueue(conn: &mut PgConnection, new: NewJob) -> Result<Job, StoreError> {
    let sql = format!(
        "INSERT INTO athlos_jobs (kind, payload, idempotency_key, state, priority, run_at, \
         attempts, max_attempts) VALUES ($1, $2, $3, 'queued', $4, $5, 0, $6) \
         ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING \
         RETURNING {JOB_COLUMNS}"
    );
    let max_attempts = i32::try_from(new.max_attempts.max(1)).unwrap_or(i32::MAX);
    let row = sqlx::query(&sql)
        .bind(&new.kind)
        .bind(&new.payload)
        .bind(&new.idempotency_key)
        .bind(new.priority)
        .bind(new.run_at)
        .bind(max_attempts)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
    if let Some(row) = row {
        return job(&row);
    }
    let sql = format!("SELECT {JOB_COLUMNS} FROM athlos_jobs WHERE idempotency_key = $1");
    let row = sqlx::query(&sql)
        .bind(&new.idempotency_key)
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
    job(&row)
}

async fn set_deadline(conn: &mut PgConnection, deadline: &Deadline) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO athlos_deadlines (aggregate, purpose, next_deadline, sequence) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (aggregate, purpose) DO UPDATE SET \
         next_deadline = excluded.next_deadline, sequence = excluded.sequence, \
         claimed_by = NULL, claim_until = NULL",
    )
    .bind(deadline_aggregate(&deadline.key))
    .bind(&deadline.key.purpose)
    .bind(deadline.due)
    .bind(i64_of(deadline.sequence)?)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

async fn clear_deadline(conn: &mut PgConnection, key: &DeadlineKey) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM athlos_deadlines WHERE aggregate = $1 AND purpose = $2")
        .bind(deadline_aggregate(key))
        .bind(&key.purpose)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

fn stored<T: Document>(row: &PgRow) -> Result<Stored<T>, StoreError> {
    let version: i64 = row.try_get("version").map_err(backend)?;
    // Straight from the column's bytes into the document, without a JSON tree between.
    let document: sqlx::types::Json<T> =
        row.try_get("document").map_err(|e| StoreError::Backend {
            reason: format!("stored document is invalid: {e}"),
        })?;
    Ok(Stored {
        version: u64_of(version)?,
        value: document.0,
    })
}

fn job(row: &PgRow) -> Result<Job, StoreError> {
    let id: i64 = row.try_get("id").map_err(backend)?;
    let state: String = row.try_get("state").map_err(backend)?;
    let attempts: i32 = row.try_get("attempts").map_err(backend)?;
    let max_attempts: i32 = row.try_get("max_attempts").map_err(backend)?;
    Ok(Job {
        id: JobId(u64_of(id)?),
        kind: row.try_get("kind").map_err(backend)?,
        payload: row.try_get("payload").map_err(backend)?,
        idempotency_key: row.try_get("idempotency_key").map_err(backend)?,
        state: job_state(&state)?,
        run_at: row.try_get("run_at").map_err(backend)?,
        attempts: u32_of(i64::from(attempts))?,
        max_attempts: u32_of(i64::from(max_attempts))?,
        worker: row.try_get("worker").map_err(backend)?,
        lease_until: row.try_get("lease_until").map_err(backend)?,
        last_error: row.try_get("last_error").map_err(backend)?,
        priority: row.try_get("priority").map_err(backend)?,
    })
}

fn deadline(row: &PgRow) -> Result<Deadline, StoreError> {
    let aggregate: String = row.try_get("aggregate").map_err(backend)?;
    let purpose: String = row.try_get("purpose").map_err(backend)?;
    let sequence: i64 = row.try_get("sequence").map_err(backend)?;
    Ok(Deadline {
        key: deadline_key(&aggregate, purpose)?,
        due: row.try_get("next_deadline").map_err(backend)?,
        sequence: u64_of(sequence)?,
    })
}

mod webhooks;
