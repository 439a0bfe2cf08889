//! Webhook subscriptions and deliveries on SQLite.

use athlos_core::error::StoreError;
use athlos_core::store::{
    delivery_job, AggregateRef, AttemptOutcome, Delivery, DeliveryState, JobId, NewDelivery,
    NewWebhook, QueueStat, Webhook, WebhookPatch,
};
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::{enqueue, SqliteStore};
use crate::codec::{
    backend, from_json_text, from_micros, i64_of, limit_of, micros, u32_of, u64_of,
};
use crate::webhook_codec::{delivery_state, scope_of};

const WEBHOOK_COLUMNS: &str =
    "id, scope, url, secret, event_types, enabled, after_sequence, created_at";
const DELIVERY_COLUMNS: &str = "id, webhook, sequence, message_id, state, attempts, round, job, \
                                last_status, last_error, created_at, updated_at, in_flight, \
                                possibly_sent";

impl SqliteStore {
    pub(crate) async fn queue_stats(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<QueueStat>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, state, COUNT(*) AS count, \
             COALESCE(SUM(CASE WHEN run_at <= ?1 THEN 1 ELSE 0 END), 0) AS due, \
             MIN(CASE WHEN run_at <= ?1 THEN run_at END) AS oldest_due \
             FROM jobs GROUP BY kind, state ORDER BY kind, state",
        )
        .bind(micros(now))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| {
                let state: String = row.try_get("state").map_err(backend)?;
                let count: i64 = row.try_get("count").map_err(backend)?;
                let due: i64 = row.try_get("due").map_err(backend)?;
                let oldest: Option<i64> = row.try_get("oldest_due").map_err(backend)?;
                Ok(QueueStat {
                    kind: row.try_get("kind").map_err(backend)?,
                    state: crate::codec::job_state(&state)?,
                    count: u64_of(count)?,
                    due: u64_of(due)?,
                    oldest_due: oldest.map(from_micros).transpose()?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .map(|mut stats| {
                // The enum's order (queued, running …), as every store gives it.
                stats.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.state.cmp(&b.state)));
                stats
            })
    }

    pub(crate) async fn last_sequence(&self) -> Result<u64, StoreError> {
        let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(sequence), 0) FROM events")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        u64_of(last)
    }

    pub(crate) async fn create_webhook(&self, new: NewWebhook) -> Result<Webhook, StoreError> {
        let types = serde_json::to_string(&new.event_types).map_err(backend)?;
        let sql = format!(
            "INSERT INTO webhooks (scope, url, secret, event_types, enabled, after_sequence, \
             created_at) VALUES (?, ?, ?, ?, ?, (SELECT COALESCE(MAX(sequence), 0) FROM events), \
             ?) RETURNING {WEBHOOK_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.scope.to_string())
            .bind(&new.url)
            .bind(&new.secret)
            .bind(types)
            .bind(new.enabled)
            .bind(micros(new.created_at))
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        webhook(&row)
    }

    pub(crate) async fn webhook(&self, id: u64) -> Result<Option<Webhook>, StoreError> {
        // Ids are signed 64-bit in the database: a larger one names nothing.
        let Ok(key) = i64::try_from(id) else {
            return Ok(None);
        };
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|r| webhook(&r)).transpose()
    }

    pub(crate) async fn webhooks(
        &self,
        scope: Option<&AggregateRef>,
    ) -> Result<Vec<Webhook>, StoreError> {
        let sql = format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE (?1 IS NULL OR scope = ?1) ORDER BY id"
        );
        let rows = sqlx::query(&sql)
            .bind(scope.map(ToString::to_string))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(webhook).collect()
    }

    pub(crate) async fn update_webhook(
        &self,
        id: u64,
        patch: WebhookPatch,
    ) -> Result<Option<Webhook>, StoreError> {
        let types = patch
            .event_types
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(backend)?;
        let sql = format!(
            "UPDATE webhooks SET url = COALESCE(?, url), event_types = COALESCE(?, event_types), \
             enabled = COALESCE(?, enabled) WHERE id = ? RETURNING {WEBHOOK_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(patch.url)
            .bind(types)
            .bind(patch.enabled)
            .bind(i64_of(id)?)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|r| webhook(&r)).transpose()
    }

    pub(crate) async fn delete_webhook(&self, id: u64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM webhooks WHERE id = ?")
            .bind(i64_of(id)?)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn webhook_cursor(&self) -> Result<u64, StoreError> {
        let position: i64 = sqlx::query_scalar("SELECT position FROM webhook_cursor")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        u64_of(position)
    }

    pub(crate) async fn record_deliveries(
        &self,
        from: u64,
        to: u64,
        deliveries: Vec<NewDelivery>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let moved = sqlx::query("UPDATE webhook_cursor SET position = ? WHERE position = ?")
            .bind(i64_of(to)?)
            .bind(i64_of(from)?)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if moved.rows_affected() != 1 {
            return Ok(false);
        }
        let mut touched = std::collections::BTreeSet::new();
        for new in &deliveries {
            let done = sqlx::query(
                "INSERT INTO webhook_deliveries (webhook, sequence, message_id, state, \
                 created_at, updated_at) SELECT ?1, ?2, ?3, 'pending', ?4, ?4 \
                 WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?1) \
                 ON CONFLICT (webhook, sequence) DO NOTHING",
            )
            .bind(i64_of(new.webhook)?)
            .bind(i64_of(new.sequence)?)
            .bind(&new.message_id)
            .bind(micros(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if done.rows_affected() == 1 {
                touched.insert(new.webhook);
            }
        }
        for webhook in touched {
            pump(&mut tx, webhook, now).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    pub(crate) async fn delivery(&self, id: u64) -> Result<Option<Delivery>, StoreError> {
        // Ids are signed 64-bit in the database: a larger one names nothing.
        let Ok(key) = i64::try_from(id) else {
            return Ok(None);
        };
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|r| delivery(&r)).transpose()
    }

    pub(crate) async fn deliveries(
        &self,
        webhook: u64,
        state: Option<DeliveryState>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook = ?1 \
             AND (?2 IS NULL OR state = ?2) AND id > ?3 ORDER BY id LIMIT ?4"
        );
        let rows = sqlx::query(&sql)
            .bind(i64_of(webhook)?)
            .bind(state.map(DeliveryState::as_str))
            .bind(i64_of(after)?)
            .bind(limit_of(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(delivery).collect()
    }

    pub(crate) async fn start_attempt(
        &self,
        id: u64,
        job: JobId,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery>, StoreError> {
        let _turn = self.writes.lock().await;
        let sql = format!(
            "UPDATE webhook_deliveries SET possibly_sent = (possibly_sent OR in_flight), \
             in_flight = 1, updated_at = ? \
             WHERE id = ? AND state = 'sending' AND job = ? RETURNING {DELIVERY_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(micros(now))
            .bind(i64_of(id)?)
            .bind(i64_of(job.0)?)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.as_ref().map(delivery).transpose()
    }

    pub(crate) async fn finish_delivery(
        &self,
        id: u64,
        job: JobId,
        outcome: AttemptOutcome,
        now: DateTime<Utc>,
    ) -> Result<Option<Delivery>, StoreError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let sql = format!(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = ?, \
             last_error = ?, state = ?, updated_at = ?, in_flight = 0 \
             WHERE id = ? AND state = 'sending' AND job = ? RETURNING {DELIVERY_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(outcome.status.map(i64::from))
            .bind(&outcome.error)
            .bind(outcome.state.as_str())
            .bind(micros(now))
            .bind(i64_of(id)?)
            .bind(i64_of(job.0)?)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let done = delivery(&row)?;
        if matches!(done.state, DeliveryState::Succeeded | DeliveryState::Dead) {
            pump(&mut tx, done.webhook, now).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(Some(done))
    }

    pub(crate) async fn redeliver(
        &self,
        webhook: u64,
        one: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let sql =
            "UPDATE webhook_deliveries SET state = 'pending', round = round + 1, updated_at = ?1 \
             WHERE webhook = ?2 AND CASE WHEN ?3 IS NULL THEN state = 'dead' \
             ELSE id = ?3 AND state IN ('succeeded', 'dead') END RETURNING id";
        let ids: Vec<i64> = sqlx::query_scalar(sql)
            .bind(micros(now))
            .bind(i64_of(webhook)?)
            .bind(one.map(i64_of).transpose()?)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
        if !ids.is_empty() {
            pump(&mut tx, webhook, now).await?;
        }
        let mut again = Vec::with_capacity(ids.len());
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ?");
        let mut sorted = ids;
        sorted.sort_unstable();
        for id in sorted {
            let row = sqlx::query(&sql)
                .bind(id)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
            again.push(delivery(&row)?);
        }
        tx.commit().await.map_err(backend)?;
        Ok(again)
    }
}

/// Makes the subscription's earliest pending delivery `sending` and enqueues its job, unless
/// one is `sending` already (SQLite has one writer: the transaction is the lock).
async fn pump(
    conn: &mut SqliteConnection,
    webhook: u64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let webhook = i64_of(webhook)?;
    let sending: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM webhook_deliveries WHERE webhook = ? AND state = 'sending' LIMIT 1",
    )
    .bind(webhook)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    if sending.is_some() {
        return Ok(());
    }
    let next = sqlx::query(
        "SELECT id, round FROM webhook_deliveries WHERE webhook = ? AND state = 'pending' \
         ORDER BY sequence, id LIMIT 1",
    )
    .bind(webhook)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    let Some(next) = next else {
        return Ok(());
    };
    let id: i64 = next.try_get("id").map_err(backend)?;
    let round: i64 = next.try_get("round").map_err(backend)?;
    let job = enqueue(conn, delivery_job(u64_of(id)?, u32_of(round)?, now)).await?;
    sqlx::query(
        "UPDATE webhook_deliveries SET state = 'sending', job = ?, updated_at = ? WHERE id = ?",
    )
    .bind(i64_of(job.id.0)?)
    .bind(micros(now))
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

fn webhook(row: &SqliteRow) -> Result<Webhook, StoreError> {
    let id: i64 = row.try_get("id").map_err(backend)?;
    let scope: String = row.try_get("scope").map_err(backend)?;
    let types: String = row.try_get("event_types").map_err(backend)?;
    let after: i64 = row.try_get("after_sequence").map_err(backend)?;
    let created_at: i64 = row.try_get("created_at").map_err(backend)?;
    Ok(Webhook {
        id: u64_of(id)?,
        scope: scope_of(&scope)?,
        url: row.try_get("url").map_err(backend)?,
        secret: row.try_get("secret").map_err(backend)?,
        event_types: from_json_text(&types)?,
        enabled: row.try_get("enabled").map_err(backend)?,
        after: u64_of(after)?,
        created_at: from_micros(created_at)?,
    })
}

fn delivery(row: &SqliteRow) -> Result<Delivery, StoreError> {
    let id: i64 = row.try_get("id").map_err(backend)?;
    let webhook: i64 = row.try_get("webhook").map_err(backend)?;
    let sequence: i64 = row.try_get("sequence").map_err(backend)?;
    let state: String = row.try_get("state").map_err(backend)?;
    let attempts: i64 = row.try_get("attempts").map_err(backend)?;
    let round: i64 = row.try_get("round").map_err(backend)?;
    let job: Option<i64> = row.try_get("job").map_err(backend)?;
    let status: Option<i64> = row.try_get("last_status").map_err(backend)?;
    let created_at: i64 = row.try_get("created_at").map_err(backend)?;
    let updated_at: i64 = row.try_get("updated_at").map_err(backend)?;
    Ok(Delivery {
        id: u64_of(id)?,
        webhook: u64_of(webhook)?,
        sequence: u64_of(sequence)?,
        message_id: row.try_get("message_id").map_err(backend)?,
        state: delivery_state(&state)?,
        attempts: u32_of(attempts)?,
        round: u32_of(round)?,
        job: job.map(u64_of).transpose()?.map(JobId),
        last_status: status
            .map(|s| u16::try_from(s).map_err(backend))
            .transpose()?,
        last_error: row.try_get("last_error").map_err(backend)?,
        created_at: from_micros(created_at)?,
        updated_at: from_micros(updated_at)?,
        in_flight: row.try_get("in_flight").map_err(backend)?,
        possibly_sent: row.try_get("possibly_sent").map_err(backend)?,
    })
}
