//! Aggregates, blobs, the event log, and commits of all of them at once.

use async_trait::async_trait;
use athlos_core::competition::{Competition, Division};
use athlos_core::draft::DraftRecord;
use athlos_core::error::StoreError;
use athlos_core::event::Event;
use athlos_core::id::{CompetitionId, DivisionId, DraftId, TournamentId};
use athlos_core::lifecycle::{DraftState, TournamentState};
use athlos_core::store::{
    AggregateRef, AggregateStore, BlobStore, Commit, EventLog, LoggedEvent, Receipt, Store, Stored,
    Topic,
};
use athlos_core::tournament::Tournament;
use athlos_core::version::ContentHash;

use crate::codec::{
    backend, deadline_aggregate, i64_of, kind_and_id, limit_of, state_filter, to_json_text, u64_of,
    write_row, Document,
};
use crate::dialect::{json, query, Conn, Row, Value};
use crate::{deadlines, jobs, AnyStore};

impl AnyStore {
    async fn document<T: Document>(&self, id: &str) -> Result<Option<Stored<T>>, StoreError> {
        let found =
            query("SELECT version, document FROM athlos_aggregates WHERE kind = $1 AND id = $2")
                .bind(T::KIND)
                .bind(id);
        self.db()
            .row(found)
            .await?
            .map(|row| stored(&row))
            .transpose()
    }

    /// Documents of `T`'s kind, by id, only those in `state` when given, paged.
    async fn documents<T: Document>(
        &self,
        state: Option<String>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<T>>, StoreError> {
        let listed = query(
            "SELECT version, document FROM athlos_aggregates WHERE kind = $1 \
             AND ($2 IS NULL OR state = $2) ORDER BY id LIMIT $3 OFFSET $4",
        )
        .bind(T::KIND)
        .bind(state)
        .bind(limit_of(limit))
        .bind(limit_of(offset));
        self.db().rows(listed).await?.iter().map(stored).collect()
    }
}

/// The kind under which a deleted aggregate of `kind` keeps its last document.
fn tombstone_kind(kind: &str) -> String {
    format!("deleted_{kind}")
}

#[async_trait]
impl AggregateStore for AnyStore {
    async fn tombstone(
        &self,
        aggregate: &AggregateRef,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let (kind, id) = kind_and_id(aggregate)?;
        let found = query("SELECT document FROM athlos_aggregates WHERE kind = $1 AND id = $2")
            .bind(tombstone_kind(&kind))
            .bind(id);
        self.db()
            .row(found)
            .await?
            .map(|row| row.json("document"))
            .transpose()
    }

    async fn competition(
        &self,
        id: &CompetitionId,
    ) -> Result<Option<Stored<Competition>>, StoreError> {
        self.document(id.as_str()).await
    }

    async fn division(&self, id: &DivisionId) -> Result<Option<Stored<Division>>, StoreError> {
        self.document(id.as_str()).await
    }

    async fn tournament(
        &self,
        id: &TournamentId,
    ) -> Result<Option<Stored<Tournament>>, StoreError> {
        self.document(id.as_str()).await
    }

    async fn tournaments(
        &self,
        state: Option<TournamentState>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<Tournament>>, StoreError> {
        self.documents(state_filter(state)?, limit, offset).await
    }

    async fn competitions(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<Competition>>, StoreError> {
        self.documents(None, limit, offset).await
    }

    async fn draft(&self, id: &DraftId) -> Result<Option<Stored<DraftRecord>>, StoreError> {
        self.document(id.as_str()).await
    }

    async fn drafts(
        &self,
        state: Option<DraftState>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<DraftRecord>>, StoreError> {
        self.documents(state_filter(state)?, limit, offset).await
    }
}

#[async_trait]
impl BlobStore for AnyStore {
    async fn blob(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, StoreError> {
        let found = query("SELECT bytes FROM athlos_blobs WHERE hash = $1").bind(hash.as_str());
        self.db()
            .row(found)
            .await?
            .map(|row| row.get("bytes"))
            .transpose()
    }
}

#[async_trait]
impl EventLog for AnyStore {
    async fn events_after(&self, after: u64, limit: usize) -> Result<Vec<LoggedEvent>, StoreError> {
        let page = query(
            "SELECT sequence, aggregate, event FROM athlos_events WHERE sequence > $1 \
             ORDER BY sequence LIMIT $2",
        )
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(limit_of(limit));
        let rows = self.db().rows(page).await?;
        rows.iter()
            .map(|row| {
                Ok(LoggedEvent {
                    sequence: u64_of(row.get("sequence")?)?,
                    aggregate: row.json("aggregate")?,
                    event: row.json("event")?,
                })
            })
            .collect()
    }

    async fn last_sequence(&self) -> Result<u64, StoreError> {
        let last = query("SELECT COALESCE(MAX(sequence), 0) AS last FROM athlos_events");
        u64_of(self.db().one(last).await?.get("last")?)
    }
}

#[async_trait]
impl Store for AnyStore {
    async fn commit(&self, commit: Commit) -> Result<Receipt, StoreError> {
        let wake = [
            (Topic::Events, !commit.events.is_empty()),
            (Topic::Jobs, !commit.jobs.is_empty()),
            (Topic::Deadlines, !commit.deadlines.is_empty()),
        ];
        let mut tx = self.db().begin().await?;
        let receipt = apply(&mut tx.conn(), commit).await?;
        tx.commit().await?;
        for (topic, changed) in wake {
            if changed {
                self.wake(topic);
            }
        }
        Ok(receipt)
    }

    async fn delete(
        &self,
        aggregate: &AggregateRef,
        expected: u64,
        events: Vec<(AggregateRef, Event)>,
    ) -> Result<Receipt, StoreError> {
        let appends = !events.is_empty();
        let (kind, id) = kind_and_id(aggregate)?;
        let mut tx = self.db().begin().await?;
        // The document stays as the aggregate's tombstone (replacing an earlier one).
        query("DELETE FROM athlos_aggregates WHERE kind = $1 AND id = $2")
            .bind(tombstone_kind(&kind))
            .bind(&id)
            .execute(&mut tx.conn())
            .await?;
        let deleted = query(
            "UPDATE athlos_aggregates SET kind = $1, state = NULL \
             WHERE kind = $2 AND id = $3 AND version = $4",
        )
        .bind(tombstone_kind(&kind))
        .bind(&kind)
        .bind(&id)
        .bind(i64_of(expected)?);
        if deleted.execute(&mut tx.conn()).await? != 1 {
            // Dropping the transaction rolls it back.
            return Err(StoreError::Conflict {
                aggregate: aggregate.to_string(),
                expected: Some(expected),
                found: version(&mut tx.conn(), &kind, &id).await?,
            });
        }
        query("DELETE FROM athlos_deadlines WHERE aggregate = $1")
            .bind(aggregate.to_string())
            .execute(&mut tx.conn())
            .await?;
        let receipt = apply(
            &mut tx.conn(),
            Commit {
                events,
                ..Commit::default()
            },
        )
        .await?;
        tx.commit().await?;
        if appends {
            self.wake(Topic::Events);
        }
        Ok(receipt)
    }
}

/// Applies `commit` in the transaction `conn` is in.
async fn apply(conn: &mut Conn<'_>, commit: Commit) -> Result<Receipt, StoreError> {
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
        let write = match row.expected {
            None => query(
                "INSERT INTO athlos_aggregates (kind, id, version, state, document) \
                 VALUES ($1, $2, 1, $3, $4) ON CONFLICT (kind, id) DO NOTHING",
            )
            .bind(&row.kind)
            .bind(&row.id)
            .bind(row.state.clone())
            .bind(json(row.document.as_str())),
            Some(expected) => query(
                "UPDATE athlos_aggregates SET version = version + 1, state = $1, document = $2 \
                 WHERE kind = $3 AND id = $4 AND version = $5",
            )
            .bind(row.state.clone())
            .bind(json(row.document.as_str()))
            .bind(&row.kind)
            .bind(&row.id)
            .bind(i64_of(expected)?),
        };
        if write.execute(conn).await? != 1 {
            return Err(StoreError::Conflict {
                aggregate: row.aggregate.to_string(),
                expected: row.expected,
                found: version(conn, &row.kind, &row.id).await?,
            });
        }
    }
    for fired in &commit.fired_deadlines {
        let deleted = query(
            "DELETE FROM athlos_deadlines WHERE aggregate = $1 AND purpose = $2 AND sequence = $3",
        )
        .bind(deadline_aggregate(&fired.key))
        .bind(&fired.key.purpose)
        .bind(i64_of(fired.sequence)?);
        if deleted.execute(conn).await? != 1 {
            return Err(StoreError::DeadlineMoved {
                key: fired.key.to_string(),
                sequence: fired.sequence,
            });
        }
    }
    for (id, worker) in &commit.completed_jobs {
        jobs::mark_succeeded(conn, *id, worker).await?;
    }
    for (hash, bytes) in &commit.blobs {
        query(
            "INSERT INTO athlos_blobs (hash, bytes) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING",
        )
        .bind(hash.as_str())
        .bind(bytes.clone())
        .execute(conn)
        .await?;
    }
    for job in commit.jobs {
        jobs::enqueue(conn, job).await?;
    }
    for deadline in &commit.deadlines {
        deadlines::set(conn, deadline).await?;
    }
    for key in &commit.cleared_deadlines {
        deadlines::clear(conn, key).await?;
    }
    let sequences = append(conn, &commit.events).await?;
    Ok(Receipt {
        versions,
        sequences,
    })
}

/// Appends `events` to the log, last in the commit; their sequences.
async fn append(
    conn: &mut Conn<'_>,
    events: &[(AggregateRef, Event)],
) -> Result<Vec<u64>, StoreError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let mut aggregates = Vec::with_capacity(events.len());
    let mut bodies = Vec::with_capacity(events.len());
    for (aggregate, event) in events {
        aggregates.push(to_json_text(aggregate)?);
        bodies.push(to_json_text(event)?);
    }
    let mut sequences = Vec::with_capacity(events.len());
    if conn.is_postgres() {
        // One statement: the counter row's lock serialises appends until this transaction
        // ends, so the log has no gaps and its order is the commit order. Holding it briefly
        // matters: one round trip, then the commit.
        let appended = query(
            "WITH counter AS (\
               UPDATE athlos_event_counter SET last = last + $1 RETURNING last) \
             INSERT INTO athlos_events (sequence, aggregate, event) \
             SELECT counter.last - $1 + e.ord, e.aggregate::jsonb, e.event::jsonb \
             FROM counter, UNNEST($2::text[], $3::text[]) WITH ORDINALITY AS e(aggregate, event, ord) \
             RETURNING sequence",
        )
        .bind(i64::try_from(events.len()).map_err(backend)?)
        .bind(Value::Texts(Some(aggregates)))
        .bind(Value::Texts(Some(bodies)))
        .rows(conn)
        .await?;
        for row in &appended {
            sequences.push(u64_of(row.get("sequence")?)?);
        }
        if sequences.len() != events.len() {
            return Err(backend(format!(
                "{} of {} events appended",
                sequences.len(),
                events.len()
            )));
        }
        sequences.sort_unstable();
    } else {
        // SQLite has one writer: the transaction holds the log until it ends.
        let last = query("SELECT COALESCE(MAX(sequence), 0) AS last FROM athlos_events")
            .one(conn)
            .await?;
        let mut next: i64 = last.get("last")?;
        for (aggregate, event) in aggregates.into_iter().zip(bodies) {
            next += 1;
            query("INSERT INTO athlos_events (sequence, aggregate, event) VALUES ($1, $2, $3)")
                .bind(next)
                .bind(json(aggregate))
                .bind(json(event))
                .execute(conn)
                .await?;
            sequences.push(u64_of(next)?);
        }
    }
    Ok(sequences)
}

/// The version of an aggregate, if it exists.
async fn version(conn: &mut Conn<'_>, kind: &str, id: &str) -> Result<Option<u64>, StoreError> {
    query("SELECT version FROM athlos_aggregates WHERE kind = $1 AND id = $2")
        .bind(kind)
        .bind(id)
        .row(conn)
        .await?
        .map(|row| u64_of(row.get("version")?))
        .transpose()
}

fn stored<T: Document>(row: &Row) -> Result<Stored<T>, StoreError> {
    Ok(Stored {
        version: u64_of(row.get("version")?)?,
        value: row.json("document")?,
    })
}
