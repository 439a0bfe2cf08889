//! The SQLite backend: one file in WAL mode (or memory), one writer at a time.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use athlos_core::error::StoreError;
use athlos_core::event::Event;
use athlos_core::store::{
    AggregateRef, Commit, CompletedAndClaimed, Deadline, DeadlineKey, Job, JobId, JobState,
    LoggedEvent, NewJob, Receipt, Stored,
};
use athlos_core::version::ContentHash;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, SqliteConnection};

use crate::codec::{
    backend, deadline_aggregate, deadline_key, from_json_text, from_micros, i64_of, job_state,
    kind_and_id, limit_of, micros, u32_of, u64_of, write_row, Document,
};
use crate::OpenError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The SQLite store.
#[derive(Debug, Clone)]
pub(crate) struct SqliteStore {
    pool: SqlitePool,
    /// Taken by the writes a worker sends side by side (claims, completions, commits,
    /// enqueues): they wait their turn here instead of in SQLite's busy handler, which
    /// sleeps whole milliseconds.
    writes: Arc<tokio::sync::Mutex<()>>,
}

const JOB_COLUMNS: &str = "id, kind, payload, idempotency_key, state, priority, run_at, attempts, \
                           max_attempts, worker, lease_until, last_error";

impl SqliteStore {
    pub(crate) async fn connect(url: &str) -> Result<Self, OpenError> {
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| OpenError::Url {
                url: url.to_owned(),
                reason: e.to_string(),
            })?
            .create_if_missing(true)
            .journal_mode(if memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            // WAL with NORMAL survives a crash of the process (not of the machine's power).
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        // An in-memory database lives in one connection: keep exactly that one forever.
        let pool_options = if memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(4)
        };
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(|e| OpenError::Connect {
                reason: e.to_string(),
            })?;
        MIGRATOR.run(&pool).await.map_err(|e| OpenError::Migrate {
            reason: e.to_string(),
        })?;
        Ok(Self {
            pool,
            writes: Arc::default(),
        })
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
        self.pool.close().await;
    }

    pub(crate) async fn document<T: Document>(
        &self,
        id: &str,
    ) -> Result<Option<Stored<T>>, StoreError> {
        let row = sqlx::query("SELECT version, document FROM aggregates WHERE kind = ? AND id = ?")
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
            "SELECT version, document FROM aggregates WHERE kind = ?1 \
             AND (?2 IS NULL OR state = ?2) ORDER BY id LIMIT ?3 OFFSET ?4",
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
            "SELECT version, document FROM aggregates WHERE kind = ?1 \
             ORDER BY id LIMIT ?2 OFFSET ?3",
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
        sqlx::query_scalar("SELECT bytes FROM blobs WHERE hash = ?")
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
            "SELECT sequence, aggregate, event FROM events WHERE sequence > ? \
             ORDER BY sequence LIMIT ?",
        )
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(limit_of(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| {
                let sequence: i64 = row.try_get("sequence").map_err(backend)?;
                let aggregate: String = row.try_get("aggregate").map_err(backend)?;
                let event: String = row.try_get("event").map_err(backend)?;
                Ok(LoggedEvent {
                    sequence: u64_of(sequence)?,
                    aggregate: from_json_text(&aggregate)?,
                    event: from_json_text(&event)?,
                })
            })
            .collect()
    }

    pub(crate) async fn commit(&self, commit: Commit) -> Result<Receipt, StoreError> {
        let _turn = self.writes.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
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
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let done = sqlx::query("DELETE FROM aggregates WHERE kind = ? AND id = ? AND version = ?")
            .bind(&kind)
            .bind(&id)
            .bind(i64_of(expected)?)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if done.rows_affected() != 1 {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT version FROM aggregates WHERE kind = ? AND id = ?")
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
        sqlx::query("DELETE FROM deadlines WHERE aggregate = ?")
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
        let _turn = self.writes.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let job = enqueue(&mut tx, job).await?;
        tx.commit().await.map_err(backend)?;
        Ok(job)
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
        let _turn = self.writes.lock().await;
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        claim(&mut conn, worker, kinds, now, lease_until, limit).await
    }

    /// Completes `done` and claims up to `limit` due jobs (of `kinds`, when given) in one
    /// transaction.
    pub(crate) async fn complete_and_claim(
        &self,
        done: &[JobId],
        worker: &str,
        kinds: Option<&[String]>,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<CompletedAndClaimed, StoreError> {
        let _turn = self.writes.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let mut completed = complete_all(&mut tx, done, worker).await?;
        completed.sort();
        let claimed = claim(&mut tx, worker, kinds, now, lease_until, limit).await?;
        tx.commit().await.map_err(backend)?;
        Ok(CompletedAndClaimed { completed, claimed })
    }

    pub(crate) async fn complete(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
        let sql = format!(
            "UPDATE jobs SET state = 'succeeded', lease_until = NULL \
             WHERE id = ? AND state = 'running' AND worker = ? RETURNING {JOB_COLUMNS}"
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
        let _turn = self.writes.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let done = complete_all(&mut tx, ids, worker).await?;
        tx.commit().await.map_err(backend)?;
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
            "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'failed' END, \
             run_at = ?, lease_until = NULL, last_error = ? \
             WHERE id = ? AND state = 'running' AND worker = ? RETURNING {JOB_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(micros(retry_at))
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
            "UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'running' AND worker = ? \
             RETURNING {JOB_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(micros(lease_until))
            .bind(i64_of(id.0)?)
            .bind(worker)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        self.leased_or_error(row, id, worker).await
    }

    pub(crate) async fn release(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
        let sql = format!(
            "UPDATE jobs SET state = 'queued', attempts = MAX(attempts - 1, 0), worker = NULL, \
             lease_until = NULL WHERE id = ? AND state = 'running' AND worker = ? \
             RETURNING {JOB_COLUMNS}"
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
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at = ?, worker = NULL, \
             lease_until = NULL WHERE id = ? AND state = 'dead' RETURNING {JOB_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(micros(run_at))
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
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| job(&row)).transpose()
    }

    pub(crate) async fn job_by_key(&self, key: &str) -> Result<Option<Job>, StoreError> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE idempotency_key = ?");
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
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE (?1 IS NULL OR state = ?1) AND id > ?2 \
             ORDER BY id LIMIT ?3"
        );
        let rows = sqlx::query(&sql)
            .bind(state.map(JobState::as_str))
            .bind(i64_of(after.map_or(0, |a| a.0))?)
            .bind(limit_of(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(job).collect()
    }

    async fn leased_or_error(
        &self,
        row: Option<SqliteRow>,
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
            "SELECT aggregate, purpose, next_deadline, sequence FROM deadlines \
             WHERE aggregate = ? AND purpose = ?",
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
            "SELECT aggregate, purpose, next_deadline, sequence FROM deadlines \
             WHERE next_deadline <= ? ORDER BY next_deadline, aggregate, purpose LIMIT ?",
        )
        .bind(micros(now))
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
            "UPDATE deadlines SET claimed_by = ?1, claim_until = ?2 \
             WHERE (aggregate, purpose) IN (\
               SELECT aggregate, purpose FROM deadlines WHERE next_deadline <= ?3 \
               AND (claim_until IS NULL OR claim_until <= ?3) \
               ORDER BY next_deadline, aggregate, purpose LIMIT ?4) \
             RETURNING aggregate, purpose, next_deadline, sequence",
        )
        .bind(scheduler)
        .bind(micros(claim_until))
        .bind(micros(now))
        .bind(limit_of(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let mut claimed = rows.iter().map(deadline).collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.key.cmp(&b.key)));
        Ok(claimed)
    }

    pub(crate) async fn next_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(t) FROM (\
               SELECT MIN(next_deadline) AS t FROM deadlines WHERE claim_until IS NULL \
               UNION ALL SELECT MIN(claim_until) FROM deadlines WHERE claim_until IS NOT NULL)",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        next.map(from_micros).transpose()
    }
}

async fn apply(conn: &mut SqliteConnection, commit: Commit) -> Result<Receipt, StoreError> {
    let mut versions = Vec::with_capacity(commit.writes.len());
    for write in &commit.writes {
        let row = write_row(write)?;
        let document = &row.document;
        let done = match row.expected {
            None => sqlx::query(
                "INSERT INTO aggregates (kind, id, version, state, document) \
                 VALUES (?, ?, 1, ?, ?) ON CONFLICT (kind, id) DO NOTHING",
            )
            .bind(&row.kind)
            .bind(&row.id)
            .bind(&row.state)
            .bind(document)
            .execute(&mut *conn)
            .await
            .map_err(backend)?,
            Some(expected) => sqlx::query(
                "UPDATE aggregates SET version = version + 1, state = ?, document = ? \
                 WHERE kind = ? AND id = ? AND version = ?",
            )
            .bind(&row.state)
            .bind(document)
            .bind(&row.kind)
            .bind(&row.id)
            .bind(i64_of(expected)?)
            .execute(&mut *conn)
            .await
            .map_err(backend)?,
        };
        if done.rows_affected() != 1 {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT version FROM aggregates WHERE kind = ? AND id = ?")
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
        versions.push(row.expected.map_or(1, |v| v.saturating_add(1)));
    }
    for fired in &commit.fired_deadlines {
        let done = sqlx::query(
            "DELETE FROM deadlines WHERE aggregate = ? AND purpose = ? AND sequence = ?",
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
        if !mark_succeeded(conn, *id, worker).await? {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM jobs WHERE id = ?")
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
        sqlx::query("INSERT INTO blobs (hash, bytes) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING")
            .bind(hash.as_str())
            .bind(bytes)
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
    }
    let mut sequences = Vec::with_capacity(commit.events.len());
    if !commit.events.is_empty() {
        let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(sequence), 0) FROM events")
            .fetch_one(&mut *conn)
            .await
            .map_err(backend)?;
        let mut next = last;
        for (aggregate, event) in &commit.events {
            next += 1;
            let aggregate = serde_json::to_string(aggregate).map_err(backend)?;
            let event = serde_json::to_string(event).map_err(backend)?;
            sqlx::query("INSERT INTO events (sequence, aggregate, event) VALUES (?, ?, ?)")
                .bind(next)
                .bind(aggregate)
                .bind(event)
                .execute(&mut *conn)
                .await
                .map_err(backend)?;
            sequences.push(u64_of(next)?);
        }
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
    Ok(Receipt {
        versions,
        sequences,
    })
}

/// Claims up to `limit` due jobs (of `kinds`, when given) for `worker`, in claim order.
async fn claim(
    conn: &mut SqliteConnection,
    worker: &str,
    kinds: Option<&[String]>,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Job>, StoreError> {
    // `?5`: the kinds as a JSON array, or NULL for every kind.
    let kinds = kinds
        .map(|kinds| serde_json::to_string(kinds).map_err(backend))
        .transpose()?;
    let sql = format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = ?1, \
         lease_until = ?2 WHERE id IN (SELECT id FROM (\
           SELECT * FROM (SELECT id, priority, run_at FROM jobs \
             WHERE state IN ('queued', 'failed') AND run_at <= ?3 \
             AND (?5 IS NULL OR kind IN (SELECT value FROM json_each(?5))) \
             ORDER BY priority DESC, run_at, id LIMIT ?4) \
           UNION ALL \
           SELECT * FROM (SELECT id, priority, run_at FROM jobs \
             WHERE state = 'running' AND lease_until <= ?3 \
             AND (?5 IS NULL OR kind IN (SELECT value FROM json_each(?5))) \
             ORDER BY lease_until LIMIT ?4)) \
           ORDER BY priority DESC, run_at, id LIMIT ?4) \
         RETURNING {JOB_COLUMNS}"
    );
    let rows = sqlx::query(&sql)
        .bind(worker)
        .bind(micros(lease_until))
        .bind(micros(now))
        .bind(limit_of(limit))
        .bind(kinds)
        .fetch_all(&mut *conn)
        .await
        .map_err(backend)?;
    let mut jobs = rows.iter().map(job).collect::<Result<Vec<_>, _>>()?;
    crate::sort_claimed(&mut jobs);
    Ok(jobs)
}

/// Marks job `id` succeeded if `worker` holds it; whether it did.
async fn mark_succeeded(
    conn: &mut SqliteConnection,
    id: JobId,
    worker: &str,
) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "UPDATE jobs SET state = 'succeeded', lease_until = NULL \
         WHERE id = ? AND state = 'running' AND worker = ?",
    )
    .bind(i64_of(id.0)?)
    .bind(worker)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(updated.rows_affected() == 1)
}

/// Marks the jobs of `ids` that `worker` holds succeeded; returns those, and those it
/// completed already (with their effect, in a commit), in the order of `ids`.
async fn complete_all(
    conn: &mut SqliteConnection,
    ids: &[JobId],
    worker: &str,
) -> Result<Vec<JobId>, StoreError> {
    let mut done = Vec::with_capacity(ids.len());
    for &id in ids {
        if mark_succeeded(conn, id, worker).await? {
            done.push(id);
            continue;
        }
        let before: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE id = ? AND state = 'succeeded' AND worker = ?",
        )
        .bind(i64_of(id.0)?)
        .bind(worker)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
        if before.is_some() {
            done.push(id);
        }
    }
    Ok(done)
}

async fn enqueue(conn: &mut SqliteConnection, new: NewJob) -> Result<Job, StoreError> {
    if let Some(key) = &new.idempotency_key {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE idempotency_key = ?");
        let row = sqlx::query(&sql)
            .bind(key)
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
        if let Some(row) = row {
            return job(&row);
        }
    }
    let sql = format!(
        "INSERT INTO jobs (kind, payload, idempotency_key, state, priority, run_at, attempts, \
         max_attempts) VALUES (?, ?, ?, 'queued', ?, ?, 0, ?) RETURNING {JOB_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(&new.kind)
        .bind(new.payload.to_string())
        .bind(&new.idempotency_key)
        .bind(new.priority)
        .bind(micros(new.run_at))
        .bind(i64::from(new.max_attempts.max(1)))
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
    job(&row)
}

async fn set_deadline(conn: &mut SqliteConnection, deadline: &Deadline) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO deadlines (aggregate, purpose, next_deadline, sequence) VALUES (?, ?, ?, ?) \
         ON CONFLICT (aggregate, purpose) DO UPDATE SET next_deadline = excluded.next_deadline, \
         sequence = excluded.sequence, claimed_by = NULL, claim_until = NULL",
    )
    .bind(deadline_aggregate(&deadline.key))
    .bind(&deadline.key.purpose)
    .bind(micros(deadline.due))
    .bind(i64_of(deadline.sequence)?)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

async fn clear_deadline(conn: &mut SqliteConnection, key: &DeadlineKey) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM deadlines WHERE aggregate = ? AND purpose = ?")
        .bind(deadline_aggregate(key))
        .bind(&key.purpose)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

fn stored<T: Document>(row: &SqliteRow) -> Result<Stored<T>, StoreError> {
    let version: i64 = row.try_get("version").map_err(backend)?;
    let document: String = row.try_get("document").map_err(backend)?;
    Ok(Stored {
        version: u64_of(version)?,
        value: from_json_text(&document)?,
    })
}

fn job(row: &SqliteRow) -> Result<Job, StoreError> {
    let id: i64 = row.try_get("id").map_err(backend)?;
    let payload: String = row.try_get("payload").map_err(backend)?;
    let state: String = row.try_get("state").map_err(backend)?;
    let run_at: i64 = row.try_get("run_at").map_err(backend)?;
    let lease_until: Option<i64> = row.try_get("lease_until").map_err(backend)?;
    let attempts: i64 = row.try_get("attempts").map_err(backend)?;
    let max_attempts: i64 = row.try_get("max_attempts").map_err(backend)?;
    Ok(Job {
        id: JobId(u64_of(id)?),
        kind: row.try_get("kind").map_err(backend)?,
        payload: from_json_text(&payload)?,
        idempotency_key: row.try_get("idempotency_key").map_err(backend)?,
        state: job_state(&state)?,
        run_at: from_micros(run_at)?,
        attempts: u32_of(attempts)?,
        max_attempts: u32_of(max_attempts)?,
        worker: row.try_get("worker").map_err(backend)?,
        lease_until: lease_until.map(from_micros).transpose()?,
        last_error: row.try_get("last_error").map_err(backend)?,
        priority: row.try_get("priority").map_err(backend)?,
    })
}

fn deadline(row: &SqliteRow) -> Result<Deadline, StoreError> {
    let aggregate: String = row.try_get("aggregate").map_err(backend)?;
    let purpose: String = row.try_get("purpose").map_err(backend)?;
    let due: i64 = row.try_get("next_deadline").map_err(backend)?;
    let sequence: i64 = row.try_get("sequence").map_err(backend)?;
    Ok(Deadline {
        key: deadline_key(&aggregate, purpose)?,
        due: from_micros(due)?,
        sequence: u64_of(sequence)?,
    })
}

mod webhooks;
