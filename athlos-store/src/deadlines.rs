//! Deadlines: one row per aggregate and purpose, claimed by schedulers and fenced by a
//! sequence (a commit firing one deletes it only at the sequence it was claimed at).

use async_trait::async_trait;
use athlos_core::store::{Deadline, DeadlineKey, DeadlineStore, Topic};

use crate::codec::{aggregate_ref, u64_of};
use crate::dialect::{query, Conn, Row};
use crate::{AnyStore, Result, Time};

/// The claim statement: on PostgreSQL the due and the expired rows are picked with
/// `SKIP LOCKED` (schedulers of several processes claim side by side, each index serving its
/// own predicate); SQLite's one writer picks them in one `UPDATE`.
const CLAIM_SQLITE: &str = "UPDATE athlos_deadlines SET claimed_by = $1, claim_until = $2 \
     WHERE (aggregate, purpose) IN (\
       SELECT aggregate, purpose FROM athlos_deadlines WHERE next_deadline <= $3 \
       AND (claim_until IS NULL OR claim_until <= $3) \
       ORDER BY next_deadline, aggregate, purpose LIMIT $4) \
     RETURNING aggregate, purpose, next_deadline, sequence";

const CLAIM_POSTGRES: &str = "WITH expired AS (\
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
     RETURNING d.aggregate, d.purpose, d.next_deadline, d.sequence";

#[async_trait]
impl DeadlineStore for AnyStore {
    async fn set_deadline(&self, deadline: Deadline) -> Result<()> {
        set(&mut self.db().acquire().await?, &deadline).await?;
        self.wake(Topic::Deadlines);
        Ok(())
    }

    async fn clear_deadline(&self, key: &DeadlineKey) -> Result<()> {
        clear(&mut self.db().acquire().await?, key).await
    }

    async fn due_deadlines(&self, now: Time, limit: usize) -> Result<Vec<Deadline>> {
        let due = query(
            "SELECT aggregate, purpose, next_deadline, sequence FROM athlos_deadlines \
             WHERE next_deadline <= $1 ORDER BY next_deadline, aggregate, purpose LIMIT $2",
        )
        .bind(now)
        .bind(limit);
        self.db().all(due, deadline).await
    }

    async fn deadline(&self, key: &DeadlineKey) -> Result<Option<Deadline>> {
        let found = query(
            "SELECT aggregate, purpose, next_deadline, sequence FROM athlos_deadlines \
             WHERE aggregate = $1 AND purpose = $2",
        )
        .bind(key.aggregate.to_string())
        .bind(&key.purpose);
        self.db().opt(found, deadline).await
    }

    async fn claim_deadlines(
        &self,
        scheduler: &str,
        now: Time,
        claim_until: Time,
        limit: usize,
    ) -> Result<Vec<Deadline>> {
        let claim = query(self.db().pick(CLAIM_SQLITE, CLAIM_POSTGRES))
            .bind(scheduler)
            .bind(claim_until)
            .bind(now)
            .bind(limit);
        let mut claimed = self.db().all(claim, deadline).await?;
        claimed.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.key.cmp(&b.key)));
        Ok(claimed)
    }

    async fn next_deadline(&self) -> Result<Option<Time>> {
        let next = query(
            "SELECT MIN(t) AS next FROM (\
               SELECT MIN(next_deadline) AS t FROM athlos_deadlines WHERE claim_until IS NULL \
               UNION ALL \
               SELECT MIN(claim_until) FROM athlos_deadlines WHERE claim_until IS NOT NULL\
             ) AS candidates",
        );
        self.db().one(next).await?.opt_time("next")
    }
}

/// Sets (or re-arms) a deadline, releasing any claim on it.
pub(crate) async fn set(conn: &mut Conn, deadline: &Deadline) -> Result<()> {
    query(
        "INSERT INTO athlos_deadlines (aggregate, purpose, next_deadline, sequence) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (aggregate, purpose) DO UPDATE SET \
         next_deadline = excluded.next_deadline, sequence = excluded.sequence, \
         claimed_by = NULL, claim_until = NULL",
    )
    .bind(deadline.key.aggregate.to_string())
    .bind(&deadline.key.purpose)
    .bind(deadline.due)
    .bind(deadline.sequence)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) async fn clear(conn: &mut Conn, key: &DeadlineKey) -> Result<()> {
    query("DELETE FROM athlos_deadlines WHERE aggregate = $1 AND purpose = $2")
        .bind(key.aggregate.to_string())
        .bind(&key.purpose)
        .execute(conn)
        .await?;
    Ok(())
}

fn deadline(row: &Row) -> Result<Deadline> {
    Ok(Deadline {
        key: DeadlineKey {
            aggregate: row.parse("aggregate", aggregate_ref)?,
            purpose: row.get("purpose")?,
        },
        due: row.time("next_deadline")?,
        sequence: u64_of(row.get("sequence")?)?,
    })
}
