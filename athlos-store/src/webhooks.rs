//! Webhook subscriptions and deliveries: one delivery per event and subscription, at most one
//! `sending` per subscription (the pump), its job enqueued in the same transaction; an
//! attempt recorded with the subscription's circuit and, when final, the next delivery handed
//! to the same job in the same transaction.

use std::collections::BTreeSet;

use async_trait::async_trait;
use athlos_core::store::{
    retry_job, AggregateRef, AttemptOutcome, AttemptRun, Circuit, Delivery, DeliveryState, JobId,
    NewDelivery, NewWebhook, RecordedRun, Topic, Webhook, WebhookPatch, WebhookStore,
};

use crate::codec::{aggregate_ref, backend, to_json_text, u32_of, u64_of};
use crate::dialect::{id_param, json, query, Conn, Query, Row, Value};
use crate::jobs::enqueue;
use crate::{AnyStore, Result, Time};

const WEBHOOK_COLUMNS: &str = "id, scope, url, secret, event_types, enabled, after_sequence, \
                               created_at, failures, next_probe";
const DELIVERY_COLUMNS: &str = "id, webhook, sequence, message_id, state, attempts, round, job, \
                                last_status, last_error, created_at, updated_at, in_flight, \
                                possibly_sent";

#[async_trait]
impl WebhookStore for AnyStore {
    async fn create_webhook(&self, new: NewWebhook) -> Result<Webhook> {
        let created = query(format!(
            "INSERT INTO athlos_webhooks (scope, url, secret, event_types, enabled, \
             after_sequence, created_at) VALUES ($1, $2, $3, $4, $5, \
             (SELECT COALESCE(MAX(sequence), 0) FROM athlos_events), $6) \
             RETURNING {WEBHOOK_COLUMNS}"
        ))
        .bind(new.scope.to_string())
        .bind(new.url)
        .bind(new.secret)
        .bind(json(to_json_text(&new.event_types)?))
        .bind(new.enabled)
        .bind(new.created_at);
        webhook(&self.db().one(created).await?)
    }

    async fn webhook(&self, id: u64) -> Result<Option<Webhook>> {
        let found = query(format!(
            "SELECT {WEBHOOK_COLUMNS} FROM athlos_webhooks WHERE id = $1"
        ));
        self.db().opt(found.bind(id_param(id)), webhook).await
    }

    async fn webhooks(&self, scope: Option<&AggregateRef>) -> Result<Vec<Webhook>> {
        let listed = query(format!(
            "SELECT {WEBHOOK_COLUMNS} FROM athlos_webhooks WHERE ($1 IS NULL OR scope = $1) \
             ORDER BY id"
        ))
        .bind(scope.map(ToString::to_string));
        self.db().all(listed, webhook).await
    }

    async fn update_webhook(&self, id: u64, patch: WebhookPatch) -> Result<Option<Webhook>> {
        let types = patch.event_types.as_ref().map(to_json_text).transpose()?;
        let updated = query(format!(
            "UPDATE athlos_webhooks SET url = COALESCE($1, url), \
             event_types = COALESCE($2, event_types), enabled = COALESCE($3, enabled) \
             WHERE id = $4 RETURNING {WEBHOOK_COLUMNS}"
        ))
        .bind(patch.url)
        .bind(Value::Json(types))
        .bind(patch.enabled)
        .bind(id);
        self.db().opt(updated, webhook).await
    }

    async fn delete_webhook(&self, id: u64) -> Result<bool> {
        let deleted = query("DELETE FROM athlos_webhooks WHERE id = $1").bind(id);
        Ok(self.db().execute(deleted).await? == 1)
    }

    async fn webhook_cursor(&self) -> Result<u64> {
        let cursor = query("SELECT position FROM athlos_webhook_cursor");
        u64_of(self.db().one(cursor).await?.get("position")?)
    }

    async fn record_deliveries(
        &self,
        from: u64,
        to: u64,
        deliveries: Vec<NewDelivery>,
        now: Time,
    ) -> Result<bool> {
        let mut tx = self.db().begin().await?;
        // The cursor row serialises dispatchers: only one moves it from `from`.
        let moved = query("UPDATE athlos_webhook_cursor SET position = $1 WHERE position = $2")
            .bind(to)
            .bind(from)
            .execute(&mut tx)
            .await?;
        if moved != 1 {
            return Ok(false);
        }
        let mut touched = BTreeSet::new();
        for chunk in deliveries.chunks(INSERT_CHUNK) {
            for row in insert_deliveries(&tx, chunk, now).rows(&mut tx).await? {
                touched.insert(u64_of(row.get("webhook")?)?);
            }
        }
        for webhook in touched {
            pump(&mut tx, webhook, now).await?;
        }
        tx.commit().await?;
        if !deliveries.is_empty() {
            self.wake(Topic::Jobs);
        }
        Ok(true)
    }

    async fn delivery(&self, id: u64) -> Result<Option<Delivery>> {
        self.db().opt(delivery_by_id(id_param(id)), delivery).await
    }

    async fn deliveries(
        &self,
        webhook: u64,
        state: Option<DeliveryState>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Delivery>> {
        let page = query(format!(
            "SELECT {DELIVERY_COLUMNS} FROM athlos_webhook_deliveries WHERE webhook = $1 \
             AND ($2 IS NULL OR state = $2) AND id > $3 ORDER BY id LIMIT $4"
        ))
        .bind(webhook)
        .bind(state.map(DeliveryState::as_str))
        .bind(after)
        .bind(limit);
        self.db().all(page, delivery).await
    }

    async fn start_attempt(&self, id: u64, job: JobId, now: Time) -> Result<Option<Delivery>> {
        let started = query(format!(
            "UPDATE athlos_webhook_deliveries SET possibly_sent = (possibly_sent OR in_flight), \
             in_flight = TRUE, updated_at = $1 \
             WHERE id = $2 AND state = 'sending' AND job = $3 RETURNING {DELIVERY_COLUMNS}"
        ))
        .bind(now)
        .bind(id)
        .bind(job);
        let started = started.row(&mut self.db().writer().await?).await?;
        started.as_ref().map(delivery).transpose()
    }

    async fn finish_delivery(
        &self,
        id: u64,
        job: JobId,
        outcome: AttemptOutcome,
        now: Time,
    ) -> Result<Option<Delivery>> {
        let mut tx = self.db().begin().await?;
        let finished = record_outcome(id, job, None, &outcome, now);
        let Some(row) = finished.row(&mut tx).await? else {
            return Ok(None);
        };
        let done = delivery(&row)?;
        if matches!(done.state, DeliveryState::Succeeded | DeliveryState::Dead) {
            pump(&mut tx, done.webhook, now).await?;
        }
        tx.commit().await?;
        self.wake(Topic::Jobs);
        Ok(Some(done))
    }

    async fn record_attempts(
        &self,
        job: JobId,
        run: AttemptRun,
        now: Time,
    ) -> Result<Option<RecordedRun>> {
        if run.attempts.is_empty() {
            return Ok(None);
        }
        let mut tx = self.db().begin().await?;
        // The subscription's row, locked on PostgreSQL: its circuit and its line change here.
        let Some(row) = lock_webhook(&mut tx, run.webhook).await? else {
            return Ok(None);
        };
        let mut hook = webhook(&row)?;
        let decision = run.policy.decide_run(&run.attempts, hook.circuit, now);
        // The successes in one statement; the failure, the run's last attempt if any, alone.
        let (succeeded, failed): (Vec<_>, Vec<_>) = decision
            .outcomes
            .iter()
            .partition(|(_, outcome)| outcome.state == DeliveryState::Succeeded);
        let mut recorded = Vec::with_capacity(decision.outcomes.len());
        if !succeeded.is_empty() {
            for row in record_successes(&tx, &succeeded, job, run.webhook, now)
                .rows(&mut tx)
                .await?
            {
                recorded.push(delivery(&row)?);
            }
        }
        for (id, outcome) in failed {
            let finished = record_outcome(*id, job, Some(run.webhook), outcome, now);
            if let Some(row) = finished.row(&mut tx).await? {
                recorded.push(delivery(&row)?);
            }
        }
        if recorded.len() != decision.outcomes.len() {
            return Ok(None); // a stale job: the transaction is rolled back
        }
        let order: Vec<u64> = decision.outcomes.iter().map(|(id, _)| *id).collect();
        recorded.sort_by_key(|d| order.iter().position(|id| *id == d.id));
        if decision.circuit != hook.circuit {
            query("UPDATE athlos_webhooks SET failures = $1, next_probe = $2 WHERE id = $3")
                .bind(i32::try_from(decision.circuit.failures).unwrap_or(i32::MAX))
                .bind(decision.circuit.next_probe)
                .bind(run.webhook)
                .execute(&mut tx)
                .await?;
            hook.circuit = decision.circuit;
        }
        let mut enqueued = false;
        if let Some((id, number, at)) = decision.retry {
            let round = recorded.iter().find(|d| d.id == id).map_or(0, |d| d.round);
            let retry = enqueue(&mut tx, retry_job(id, round, number, at)).await?;
            query("UPDATE athlos_webhook_deliveries SET job = $1 WHERE id = $2")
                .bind(retry.id)
                .bind(id)
                .execute(&mut tx)
                .await?;
            if let Some(d) = recorded.iter_mut().find(|d| d.id == id) {
                d.job = Some(retry.id);
            }
            enqueued = true;
        }
        // What the job held and did not record goes back in line (a run cut by a failure).
        query(
            "UPDATE athlos_webhook_deliveries SET state = 'pending', job = NULL, \
             in_flight = FALSE, updated_at = $1 \
             WHERE webhook = $2 AND state = 'sending' AND job = $3",
        )
        .bind(now)
        .bind(run.webhook)
        .bind(job)
        .execute(&mut tx)
        .await?;
        let mut next = Vec::new();
        if decision.retry.is_none() {
            if run.take > 0 && !hook.circuit.is_open() {
                for row in take_pending(job, now, run.webhook, run.take)
                    .rows(&mut tx)
                    .await?
                {
                    next.push(delivery(&row)?);
                }
                next.sort_by_key(|d| (d.sequence, d.id));
            } else {
                enqueued = pump_locked(&mut tx, &hook, now).await?;
            }
        }
        tx.commit().await?;
        if enqueued {
            self.wake(Topic::Jobs);
        }
        Ok(Some(RecordedRun {
            deliveries: recorded,
            webhook: hook,
            opened: decision.opened,
            next,
        }))
    }

    async fn redeliver(&self, webhook: u64, one: Option<u64>, now: Time) -> Result<Vec<Delivery>> {
        let mut tx = self.db().begin().await?;
        let ids = query(
            "UPDATE athlos_webhook_deliveries SET state = 'pending', round = round + 1, \
             updated_at = $1 WHERE webhook = $2 AND CASE WHEN $3 IS NULL THEN state = 'dead' \
             ELSE id = $3 AND state IN ('succeeded', 'dead') END RETURNING id",
        )
        .bind(now)
        .bind(webhook)
        .bind(one)
        .rows(&mut tx)
        .await?;
        let mut ids = ids
            .iter()
            .map(|row| row.get::<i64>("id"))
            .collect::<Result<Vec<_>>>()?;
        if !ids.is_empty() {
            pump(&mut tx, webhook, now).await?;
        }
        ids.sort_unstable();
        let mut again = Vec::with_capacity(ids.len());
        for id in ids {
            again.push(delivery(&delivery_by_id(id).one(&mut tx).await?)?);
        }
        tx.commit().await?;
        if !again.is_empty() {
            self.wake(Topic::Jobs);
        }
        Ok(again)
    }
}

/// The statement that makes subscription `webhook`'s `count` earliest pending deliveries
/// `sending` and in flight by `job` at `now`, returning them.
fn take_pending(job: JobId, now: Time, webhook: u64, count: usize) -> Query {
    query(format!(
        "UPDATE athlos_webhook_deliveries SET state = 'sending', job = $1, updated_at = $2, \
         in_flight = TRUE WHERE id IN (SELECT id FROM athlos_webhook_deliveries \
         WHERE webhook = $3 AND state = 'pending' ORDER BY sequence, id LIMIT $4) \
         RETURNING {DELIVERY_COLUMNS}"
    ))
    .bind(job)
    .bind(now)
    .bind(webhook)
    .bind(count)
}

/// The statement that records `outcome` on delivery `id` while it is `sending` by `job` (and
/// of `webhook`, when given): counted, no longer in flight, possibly sent when the outcome
/// says so; it returns the row it changed.
fn record_outcome(
    id: u64,
    job: JobId,
    webhook: Option<u64>,
    outcome: &AttemptOutcome,
    now: Time,
) -> Query {
    query(format!(
        "UPDATE athlos_webhook_deliveries SET attempts = attempts + 1, last_status = $1, \
         last_error = $2, state = $3, updated_at = $4, in_flight = FALSE, \
         possibly_sent = (possibly_sent OR $5) \
         WHERE id = $6 AND state = 'sending' AND job = $7 AND ($8 IS NULL OR webhook = $8) \
         RETURNING {DELIVERY_COLUMNS}"
    ))
    .bind(outcome.status.map(i32::from))
    .bind(outcome.error.clone())
    .bind(outcome.state.as_str())
    .bind(now)
    .bind(outcome.possibly_sent)
    .bind(id)
    .bind(job)
    .bind(webhook)
}

/// One statement that records the successful attempts `succeeded` (delivery, outcome) of
/// subscription `webhook`'s deliveries `sending` by `job`; it returns the rows it changed.
fn record_successes(
    conn: &Conn,
    succeeded: &[&(u64, AttemptOutcome)],
    job: JobId,
    webhook: u64,
    now: Time,
) -> Query {
    let rows = if conn.is_postgres() {
        "SELECT delivery, status::integer AS status FROM unnest($2::bigint[], $3::bigint[]) \
         AS u(delivery, status)"
    } else {
        "SELECT d.value AS delivery, s.value AS status FROM json_each($2) AS d \
         JOIN json_each($3) AS s ON s.key = d.key"
    };
    let column =
        |f: fn(&(u64, AttemptOutcome)) -> i64| succeeded.iter().map(|o| f(o)).collect::<Vec<i64>>();
    query(format!(
        "UPDATE athlos_webhook_deliveries SET attempts = attempts + 1, last_status = v.status, \
         last_error = NULL, state = 'succeeded', updated_at = $1, in_flight = FALSE \
         FROM ({rows}) AS v WHERE id = v.delivery AND state = 'sending' AND job = $4 \
         AND webhook = $5 RETURNING {DELIVERY_COLUMNS}"
    ))
    .bind(now)
    .bind(column(|(id, _)| i64::try_from(*id).unwrap_or(i64::MAX)))
    .bind(column(|(_, outcome)| {
        i64::from(outcome.status.unwrap_or(0))
    }))
    .bind(job)
    .bind(webhook)
}

/// Deliveries [`insert_deliveries`] records in one statement.
const INSERT_CHUNK: usize = 1000;

/// One statement that records `deliveries` (`pending`), in their order (the ids follow it),
/// but those of a deleted subscription or recorded already; it returns the subscription of
/// each row it inserts. The rows go as
/// three lists (one statement text, planned once, for any number of rows): arrays on
/// PostgreSQL, JSON arrays read by `json_each` on SQLite.
fn insert_deliveries(conn: &Conn, deliveries: &[NewDelivery], now: Time) -> Query {
    let rows = if conn.is_postgres() {
        "SELECT webhook, sequence, message_id, n FROM unnest($2::bigint[], $3::bigint[], \
         $4::text[]) WITH ORDINALITY AS v(webhook, sequence, message_id, n)"
    } else {
        "SELECT w.value AS webhook, s.value AS sequence, m.value AS message_id, w.key AS n \
         FROM json_each($2) AS w JOIN json_each($3) AS s ON s.key = w.key \
         JOIN json_each($4) AS m ON m.key = w.key"
    };
    let ids = |f: fn(&NewDelivery) -> u64| {
        deliveries
            .iter()
            .map(|d| i64::try_from(f(d)).unwrap_or(i64::MAX))
            .collect::<Vec<i64>>()
    };
    query(format!(
        "INSERT INTO athlos_webhook_deliveries (webhook, sequence, message_id, state, \
         created_at, updated_at) SELECT v.webhook, v.sequence, v.message_id, 'pending', $1, $1 \
         FROM ({rows}) AS v WHERE EXISTS (SELECT 1 FROM athlos_webhooks WHERE id = v.webhook) \
         ORDER BY v.n ON CONFLICT (webhook, sequence) DO NOTHING RETURNING webhook"
    ))
    .bind(now)
    .bind(ids(|d| d.webhook))
    .bind(ids(|d| d.sequence))
    .bind(
        deliveries
            .iter()
            .map(|d| d.message_id.clone())
            .collect::<Vec<String>>(),
    )
}

/// The subscription's row, locked until the transaction ends on PostgreSQL (on SQLite the
/// transaction is the lock: one writer).
async fn lock_webhook(conn: &mut Conn, webhook: u64) -> Result<Option<Row>> {
    let lock = if conn.is_postgres() {
        " FOR UPDATE"
    } else {
        ""
    };
    query(format!(
        "SELECT {WEBHOOK_COLUMNS} FROM athlos_webhooks WHERE id = $1{lock}"
    ))
    .bind(webhook)
    .row(conn)
    .await
}

/// Makes the subscription's earliest pending delivery `sending` and enqueues its job (due at
/// the next probe while its circuit is open), unless one is `sending` already. Two
/// transactions must not each see nothing `sending` and leave new deliveries stranded:
/// SQLite has one writer (the transaction is the lock); on PostgreSQL the subscription's row
/// lock serialises pumps.
async fn pump(conn: &mut Conn, webhook: u64, now: Time) -> Result<()> {
    let Some(row) = lock_webhook(conn, webhook).await? else {
        return Ok(());
    };
    pump_locked(conn, &self::webhook(&row)?, now).await?;
    Ok(())
}

/// [`pump`] with the subscription's row locked already; whether it enqueued a job.
async fn pump_locked(conn: &mut Conn, hook: &Webhook, now: Time) -> Result<bool> {
    let sending = query(
        "SELECT id FROM athlos_webhook_deliveries WHERE webhook = $1 AND state = 'sending' \
         LIMIT 1",
    )
    .bind(hook.id)
    .row(conn)
    .await?;
    if sending.is_some() {
        return Ok(false);
    }
    let next = query(
        "SELECT id, round FROM athlos_webhook_deliveries WHERE webhook = $1 \
         AND state = 'pending' ORDER BY sequence, id LIMIT 1",
    )
    .bind(hook.id)
    .row(conn)
    .await?;
    let Some(next) = next else {
        return Ok(false);
    };
    let id: i64 = next.get("id")?;
    let round = u32_of(next.int("round")?)?;
    let job = enqueue(
        conn,
        retry_job(u64_of(id)?, round, 1, hook.circuit.due(now)),
    )
    .await?;
    query(
        "UPDATE athlos_webhook_deliveries SET state = 'sending', job = $1, updated_at = $2 \
         WHERE id = $3",
    )
    .bind(job.id)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(true)
}

/// A delivery by id.
fn delivery_by_id(id: impl Into<Value>) -> Query {
    query(format!(
        "SELECT {DELIVERY_COLUMNS} FROM athlos_webhook_deliveries WHERE id = $1"
    ))
    .bind(id)
}

fn webhook(row: &Row) -> Result<Webhook> {
    Ok(Webhook {
        id: u64_of(row.get("id")?)?,
        scope: row.parse("scope", aggregate_ref)?,
        url: row.get("url")?,
        secret: row.get("secret")?,
        event_types: row.json("event_types")?,
        enabled: row.get("enabled")?,
        after: u64_of(row.get("after_sequence")?)?,
        created_at: row.time("created_at")?,
        circuit: Circuit {
            failures: u32_of(row.int("failures")?)?,
            next_probe: row.opt_time("next_probe")?,
        },
    })
}

fn delivery(row: &Row) -> Result<Delivery> {
    Ok(Delivery {
        id: u64_of(row.get("id")?)?,
        webhook: u64_of(row.get("webhook")?)?,
        sequence: u64_of(row.get("sequence")?)?,
        message_id: row.get("message_id")?,
        state: row.parse("state", DeliveryState::parse)?,
        attempts: u32_of(row.int("attempts")?)?,
        round: u32_of(row.int("round")?)?,
        job: row
            .get::<Option<i64>>("job")?
            .map(u64_of)
            .transpose()?
            .map(JobId),
        last_status: row
            .opt_int("last_status")?
            .map(|s| u16::try_from(s).map_err(backend))
            .transpose()?,
        last_error: row.get("last_error")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        in_flight: row.get("in_flight")?,
        possibly_sent: row.get("possibly_sent")?,
    })
}
