//! Webhook subscriptions and deliveries on PostgreSQL.

use athlos_core::error::StoreError;
use athlos_core::store::{
    delivery_job, AggregateRef, AttemptOutcome, Delivery, DeliveryState, JobId, NewDelivery,
    NewWebhook, QueueStat, Webhook, WebhookPatch,
};
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::{enqueue, PgStore};
use crate::codec::{backend, from_json, i64_of, limit_of, u32_of, u64_of};
use crate::webhook_codec::{delivery_state, scope_of};

const WEBHOOK_COLUMNS: &str =
    "id, scope, url, secret, event_types, enabled, after_sequence, created_at";
const DELIVERY_COLUMNS: &str = "id, webhook, sequence, message_id, state, attempts, round, job, \
                                last_status, last_error, created_at, updated_at, in_flight, \
                                possibly_sent";

impl PgStore {
    pub(crate) async fn queue_stats(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<QueueStat>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, state, COUNT(*)::BIGINT AS count, \
             COUNT(*) FILTER (WHERE run_at <= $1)::BIGINT AS due, \
             MIN(run_at) FILTER (WHERE run_at <= $1) AS oldest_due \
             FROM athlos_jobs GROUP BY kind, state ORDER BY kind COLLATE \"C\", state",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|row| {
                let state: String = row.try_get("state").map_err(backend)?;
                let count: i64 = row.try_get("count").map_err(backend)?;
                let due: i64 = row.try_get("due").map_err(backend)?;
                Ok(QueueStat {
                    kind: row.try_get("kind").map_err(backend)?,
                    state: crate::codec::job_state(&state)?,
                    count: u64_of(count)?,
                    due: u64_of(due)?,
                    oldest_due: row.try_get("oldest_due").map_err(backend)?,
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
        let last: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(sequence), 0)::BIGINT FROM athlos_events")
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?;
        u64_of(last)
    }

    pub(crate) async fn create_webhook(&self, new: NewWebhook) -> Result<Webhook, StoreError> {
        let types = serde_json::to_value(&new.event_types).map_err(backend)?;
        let sql = format!(
            "INSERT INTO athlos_webhooks (scope, url, secret, event_types, enabled, \
             after_sequence, created_at) VALUES ($1, $2, $3, $4, $5, \
             (SELECT last FROM athlos_event_counter), $6) RETURNING {WEBHOOK_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.scope.to_string())
            .bind(&new.url)
            .bind(&new.secret)
            .bind(types)
            .bind(new.enabled)
            .bind(new.created_at)
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
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM athlos_webhooks WHERE id = $1");
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
            "SELECT {WEBHOOK_COLUMNS} FROM athlos_webhooks WHERE ($1::TEXT IS NULL OR scope = $1) \
             ORDER BY id"
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
            .map(serde_json::to_value)
            .transpose()
            .map_err(backend)?;
        let sql = format!(
            "UPDATE athlos_webhooks SET url = COALESCE($1, url), \
             event_types = COALESCE($2, event_types), enabled = COALESCE($3, enabled) \
             WHERE id = $4 RETURNING {WEBHOOK_COLUMNS}"
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
        let done = sqlx::query("DELETE FROM athlos_webhooks WHERE id = $1")
            .bind(i64_of(id)?)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn webhook_cursor(&self) -> Result<u64, StoreError> {
        let position: i64 = sqlx::query_scalar("SELECT position FROM athlos_webhook_cursor")
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
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let moved =
            sqlx::query("UPDATE athlos_webhook_cursor SET position = $1 WHERE position = $2")
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
                "INSERT INTO athlos_webhook_deliveries (webhook, sequence, message_id, state, \
                 created_at, updated_at) SELECT $1::BIGINT, $2::BIGINT, $3::TEXT, 'pending', $4::TIMESTAMPTZ, $4 \
                 WHERE EXISTS (SELECT 1 FROM athlos_webhooks WHERE id = $1) \
                 ON CONFLICT (webhook, sequence) DO NOTHING",
            )
            .bind(i64_of(new.webhook)?)
            .bind(i64_of(new.sequence)?)
            .bind(&new.message_id)
            .bind(now)
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
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM athlos_webhook_deliveries WHERE id = $1");
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
            "SELECT {DELIVERY_COLUMNS} FROM athlos_webhook_deliveries WHERE webhook = $1 \
             AND ($2::TEXT IS NULL OR state = $2) AND id > $3 ORDER BY id LIMIT $4"
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
        let sql = format!(
            "UPDATE athlos_webhook_deliveries SET possibly_sent = (possibly_sent OR in_flight), \
             in_flight = TRUE, updated_at = $1 \
             WHERE id = $2 AND state = 'sending' AND job = $3 RETURNING {DELIVERY_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(now)
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
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let sql = format!(
            "UPDATE athlos_webhook_deliveries SET attempts = attempts + 1, last_status = $1, \
             last_error = $2, state = $3, updated_at = $4, in_flight = FALSE \
             WHERE id = $5 AND state = 'sending' AND job = $6 RETURNING {DELIVERY_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(outcome.status.map(i32::from))
            .bind(&outcome.error)
            .bind(outcome.state.as_str())
            .bind(now)
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
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let sql = "UPDATE athlos_webhook_deliveries SET state = 'pending', round = round + 1, \
             updated_at = $1 WHERE webhook = $2 AND CASE WHEN $3::BIGINT IS NULL \
             THEN state = 'dead' ELSE id = $3 AND state IN ('succeeded', 'dead') END RETURNING id";
        let ids: Vec<i64> = sqlx::query_scalar(sql)
            .bind(now)
            .bind(i64_of(webhook)?)
            .bind(one.map(i64_of).transpose()?)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
        if !ids.is_empty() {
            pump(&mut tx, webhook, now).await?;
        }
        let mut again = Vec::with_capacity(ids.len());
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM athlos_webhook_deliveries WHERE id = $1");
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
/// one is `sending` already. The subscription's row lock serialises pumps, so two
/// transactions cannot each see nothing `sending` and leave new deliveries stranded.
async fn pump(conn: &mut PgConnection, webhook: u64, now: DateTime<Utc>) -> Result<(), StoreError> {
    let webhook = i64_of(webhook)?;
    sqlx::query("SELECT id FROM athlos_webhooks WHERE id = $1 FOR UPDATE")
        .bind(webhook)
        .fetch_optional(&mut *conn)
        .await
        .map_err(backend)?;
    let sending: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM athlos_webhook_deliveries WHERE webhook = $1 AND state = 'sending' \
         LIMIT 1",
    )
    .bind(webhook)
    .fetch_optional(&mut *conn)
    .await
    .map_err(backend)?;
    if sending.is_some() {
        return Ok(());
    }
    let next = sqlx::query(
        "SELECT id, round FROM athlos_webhook_deliveries WHERE webhook = $1 \
         AND state = 'pending' \
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
    let round: i32 = next.try_get("round").map_err(backend)?;
    let job = enqueue(conn, delivery_job(u64_of(id)?, u32_of(round.into())?, now)).await?;
    sqlx::query(
        "UPDATE athlos_webhook_deliveries SET state = 'sending', job = $1, updated_at = $2 \
         WHERE id = $3",
    )
    .bind(i64_of(job.id.0)?)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(backend)?;
    Ok(())
}

fn webhook(row: &PgRow) -> Result<Webhook, StoreError> {
    let id: i64 = row.try_get("id").map_err(backend)?;
    let scope: String = row.try_get("scope").map_err(backend)?;
    let types: serde_json::Value = row.try_get("event_types").map_err(backend)?;
    let after: i64 = row.try_get("after_sequence").map_err(backend)?;
    Ok(Webhook {
        id: u64_of(id)?,
        scope: scope_of(&scope)?,
        url: row.try_get("url").map_err(backend)?,
        secret: row.try_get("secret").map_err(backend)?,
        event_types: from_json(types)?,
        enabled: row.try_get("enabled").map_err(backend)?,
        after: u64_of(after)?,
        created_at: row.try_get("created_at").map_err(backend)?,
    })
}

fn delivery(row: &PgRow) -> Result<Delivery, StoreError> {
    let id: i64 = row.try_get("id").map_err(backend)?;
    let webhook: i64 = row.try_get("webhook").map_err(backend)?;
    let sequence: i64 = row.try_get("sequence").map_err(backend)?;
    let state: String = row.try_get("state").map_err(backend)?;
    let attempts: i32 = row.try_get("attempts").map_err(backend)?;
    let round: i32 = row.try_get("round").map_err(backend)?;
    let job: Option<i64> = row.try_get("job").map_err(backend)?;
    let status: Option<i32> = row.try_get("last_status").map_err(backend)?;
    Ok(Delivery {
        id: u64_of(id)?,
        webhook: u64_of(webhook)?,
        sequence: u64_of(sequence)?,
        message_id: row.try_get("message_id").map_err(backend)?,
        state: delivery_state(&state)?,
        attempts: u32_of(attempts.into())?,
        round: u32_of(round.into())?,
        job: job.map(u64_of).transpose()?.map(JobId),
        last_status: status
            .map(|s| u16::try_from(s).map_err(backend))
            .transpose()?,
        last_error: row.try_get("last_error").map_err(backend)?,
        created_at: row.try_get("created_at").map_err(backend)?,
        updated_at: row.try_get("updated_at").map_err(backend)?,
        in_flight: row.try_get("in_flight").map_err(backend)?,
        possibly_sent: row.try_get("possibly_sent").map_err(backend)?,
    })
}
