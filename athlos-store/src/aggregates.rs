//! Aggregates, blobs, the event log, and commits of all of them at once.

use async_trait::async_trait;
use athlos_core::account::{SecretHash, Session, User, Username, UsernameClaim};
use athlos_core::chat::TournamentChat;
use athlos_core::competition::{Competition, Division};
use athlos_core::draft::DraftRecord;
use athlos_core::error::StoreError;
use athlos_core::event::Event;
use athlos_core::id::{CompetitionId, DivisionId, DraftId, TournamentId, UserId};
use athlos_core::lifecycle::{DraftState, TournamentState};
use athlos_core::store::{
    AggregateRef, AggregateStore, BlobStore, Commit, EventLog, LoggedEvent, Receipt, Store, Stored,
    Topic,
};
use athlos_core::tournament::Tournament;
use athlos_core::version::ContentHash;
use serde::de::DeserializeOwned;

use crate::codec::{backend, kind_and_id, state_filter, to_json_text, u64_of, write_row};
use crate::dialect::{json, query, Conn, Query, Row};
use crate::{deadlines, jobs, AnyStore, Result};

impl AnyStore {
    /// The document of aggregate `id` of `kind`.
    async fn document<T: DeserializeOwned>(
        &self,
        kind: &str,
        id: &str,
    ) -> Result<Option<Stored<T>>> {
        self.db().opt(aggregate_row(kind, id), stored).await
    }

    /// Documents of `kind`, by id, only those in `state` when given, paged.
    async fn documents<T: DeserializeOwned>(
        &self,
        kind: &str,
        state: Option<String>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<T>>> {
        let listed = query(
            "SELECT version, document FROM athlos_aggregates WHERE kind = $1 \
             AND ($2 IS NULL OR state = $2) ORDER BY id LIMIT $3 OFFSET $4",
        )
        .bind(kind)
        .bind(state)
        .bind(limit)
        .bind(offset);
        self.db().all(listed, stored).await
    }
}

/// The kind under which a deleted aggregate of `kind` keeps its last document.
fn tombstone_kind(kind: &str) -> String {
    format!("deleted_{kind}")
}

/// The version and document of aggregate `id` of `kind`.
fn aggregate_row(kind: &str, id: &str) -> Query {
    query("SELECT version, document FROM athlos_aggregates WHERE kind = $1 AND id = $2")
        .bind(kind)
        .bind(id)
}

#[async_trait]
impl AggregateStore for AnyStore {
    async fn tombstone(&self, aggregate: &AggregateRef) -> Result<Option<serde_json::Value>> {
        let (kind, id) = kind_and_id(aggregate)?;
        let found = aggregate_row(&tombstone_kind(&kind), &id);
        self.db().opt(found, |row| row.json("document")).await
    }

    async fn version(&self, aggregate: &AggregateRef) -> Result<Option<u64>> {
        let (kind, id) = kind_and_id(aggregate)?;
        let found = query("SELECT version FROM athlos_aggregates WHERE kind = $1 AND id = $2")
            .bind(kind)
            .bind(id);
        self.db()
            .opt(found, |row| u64_of(row.get("version")?))
            .await
    }

    async fn competition(&self, id: &CompetitionId) -> Result<Option<Stored<Competition>>> {
        self.document("competition", id.as_str()).await
    }

    async fn division(&self, id: &DivisionId) -> Result<Option<Stored<Division>>> {
        self.document("division", id.as_str()).await
    }

    async fn tournament(&self, id: &TournamentId) -> Result<Option<Stored<Tournament>>> {
        self.document("tournament", id.as_str()).await
    }

    async fn tournaments(
        &self,
        state: Option<TournamentState>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<Tournament>>> {
        self.documents("tournament", state_filter(state)?, limit, offset)
            .await
    }

    async fn competitions(&self, limit: usize, offset: usize) -> Result<Vec<Stored<Competition>>> {
        self.documents("competition", None, limit, offset).await
    }

    async fn draft(&self, id: &DraftId) -> Result<Option<Stored<DraftRecord>>> {
        self.document("draft", id.as_str()).await
    }

    async fn drafts(
        &self,
        state: Option<DraftState>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<DraftRecord>>> {
        self.documents("draft", state_filter(state)?, limit, offset)
            .await
    }

    async fn user(&self, id: &UserId) -> Result<Option<Stored<User>>> {
        self.document("user", id.as_str()).await
    }

    async fn username_claim(&self, folded: &Username) -> Result<Option<Stored<UsernameClaim>>> {
        self.document("username", folded.as_str()).await
    }

    async fn session(&self, key: &SecretHash) -> Result<Option<Stored<Session>>> {
        self.document("session", key.as_str()).await
    }

    async fn chat(&self, tournament: &TournamentId) -> Result<Option<Stored<TournamentChat>>> {
        self.document("chat", tournament.as_str()).await
    }
}

#[async_trait]
impl BlobStore for AnyStore {
    async fn blob(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>> {
        let found = query("SELECT bytes FROM athlos_blobs WHERE hash = $1").bind(hash.as_str());
        self.db().opt(found, |row| row.get("bytes")).await
    }
}

#[async_trait]
impl EventLog for AnyStore {
    async fn events_after(&self, after: u64, limit: usize) -> Result<Vec<LoggedEvent>> {
        let page = query(
            "SELECT sequence, aggregate, event FROM athlos_events WHERE sequence > $1 \
             ORDER BY sequence LIMIT $2",
        )
        .bind(i64::try_from(after).unwrap_or(i64::MAX))
        .bind(limit);
        let event = |row: &Row| {
            Ok(LoggedEvent {
                sequence: u64_of(row.get("sequence")?)?,
                aggregate: row.json("aggregate")?,
                event: row.json("event")?,
            })
        };
        self.db().all(page, event).await
    }

    async fn last_sequence(&self) -> Result<u64> {
        let last = query("SELECT COALESCE(MAX(sequence), 0) AS last FROM athlos_events");
        u64_of(self.db().one(last).await?.get("last")?)
    }
}

#[async_trait]
impl Store for AnyStore {
    async fn commit(&self, commit: Commit) -> Result<Receipt> {
        self.transact(None, commit).await
    }

    async fn delete(
        &self,
        aggregate: &AggregateRef,
        expected: u64,
        events: Vec<(AggregateRef, Event)>,
    ) -> Result<Receipt> {
        let commit = Commit {
            events,
            ..Commit::default()
        };
        self.transact(Some((aggregate, expected)), commit).await
    }
}

impl AnyStore {
    /// Deletes `deleted` (an aggregate at an expected version) when given and applies
    /// `commit`, in one transaction; then wakes the consumers of what it changed.
    async fn transact(
        &self,
        deleted: Option<(&AggregateRef, u64)>,
        commit: Commit,
    ) -> Result<Receipt> {
        let wake = [
            (Topic::Events, !commit.events.is_empty()),
            (Topic::Jobs, !commit.jobs.is_empty()),
            (Topic::Deadlines, !commit.deadlines.is_empty()),
        ];
        let mut tx = self.db().begin().await?;
        if let Some((aggregate, expected)) = deleted {
            delete(&mut tx, aggregate, expected).await?;
        }
        let receipt = apply(tx, commit).await?;
        for (topic, changed) in wake {
            if changed {
                self.wake(topic);
            }
        }
        Ok(receipt)
    }
}

/// Deletes `aggregate`, at version `expected`, with its deadlines, in the transaction `conn` is
/// in (a conflict rolls it back). The document stays as the aggregate's tombstone (replacing
/// an earlier one).
async fn delete(conn: &mut Conn, aggregate: &AggregateRef, expected: u64) -> Result<()> {
    let (kind, id) = kind_and_id(aggregate)?;
    query("DELETE FROM athlos_aggregates WHERE kind = $1 AND id = $2")
        .bind(tombstone_kind(&kind))
        .bind(&id)
        .execute(conn)
        .await?;
    let deleted = query(
        "UPDATE athlos_aggregates SET kind = $1, state = NULL \
         WHERE kind = $2 AND id = $3 AND version = $4",
    )
    .bind(tombstone_kind(&kind))
    .bind(&kind)
    .bind(&id)
    .bind(expected);
    if deleted.execute(conn).await? != 1 {
        return Err(StoreError::Conflict {
            aggregate: aggregate.to_string(),
            expected: Some(expected),
            found: version(conn, &kind, &id).await?,
        });
    }
    query("DELETE FROM athlos_deadlines WHERE aggregate = $1")
        .bind(aggregate.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Applies `commit` in the transaction `tx`, and commits it.
async fn apply(mut tx: Conn, commit: Commit) -> Result<Receipt> {
    let conn = &mut tx;
    // Writes go in a fixed order (kind, id) so two commits never wait on each other in a cycle.
    let mut rows = commit
        .writes
        .iter()
        .map(write_row)
        .collect::<Result<Vec<_>>>()?;
    let versions = rows
        .iter()
        .map(|r| r.expected.map_or(1, |v| v.saturating_add(1)))
        .collect();
    rows.sort_by(|a, b| (&a.kind, &a.id).cmp(&(&b.kind, &b.id)));
    for row in &rows {
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
            .bind(expected),
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
        .bind(fired.key.aggregate.to_string())
        .bind(&fired.key.purpose)
        .bind(fired.sequence);
        if deleted.execute(conn).await? != 1 {
            return Err(StoreError::DeadlineMoved {
                key: fired.key.to_string(),
                sequence: fired.sequence,
            });
        }
    }
    for (id, worker) in &commit.completed_jobs {
        jobs::mark_succeeded(conn, *id, worker, None).await?;
    }
    for run in &commit.completed_runs {
        jobs::mark_succeeded(conn, run.job, &run.worker, Some(run)).await?;
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
    let sequences = append_and_commit(tx, &commit.events).await?;
    Ok(Receipt {
        versions,
        sequences,
    })
}

/// Appends `events` to the log, last in the transaction `tx`, and commits it; their
/// sequences.
async fn append_and_commit(mut tx: Conn, events: &[(AggregateRef, Event)]) -> Result<Vec<u64>> {
    if events.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let mut aggregates = Vec::with_capacity(events.len());
    let mut bodies = Vec::with_capacity(events.len());
    for (aggregate, event) in events {
        aggregates.push(to_json_text(aggregate)?);
        bodies.push(to_json_text(event)?);
    }
    if !tx.is_postgres() {
        let sequences = append_one_writer(&mut tx, aggregates, bodies).await?;
        tx.commit().await?;
        return Ok(sequences);
    }
    // One statement, sent with the COMMIT: the counter row's lock serialises appends until
    // the transaction ends (so the log has no gaps and its order is the commit order), and it
    // is held for the commit alone, not for a round trip to this process and back. The
    // values are written in (the message takes no parameters), dollar-quoted.
    let count = events.len();
    let statement = format!(
        "WITH counter AS (\
           UPDATE athlos_event_counter SET last = last + {count} RETURNING last) \
         INSERT INTO athlos_events (sequence, aggregate, event) \
         SELECT counter.last - {count} + e.ord, e.aggregate::jsonb, e.event::jsonb \
         FROM counter, UNNEST({}, {}) WITH ORDINALITY AS e(aggregate, event, ord) \
         RETURNING sequence",
        text_array(&aggregates),
        text_array(&bodies),
    );
    let rows = tx
        .commit_with(&statement)
        .await?
        .ok_or_else(|| backend("a PostgreSQL transaction is not one"))?;
    let mut sequences = rows
        .iter()
        .map(|row| u64_of(row.get("sequence")?))
        .collect::<Result<Vec<_>>>()?;
    if sequences.len() != count {
        let appended = sequences.len();
        return Err(backend(format!("{appended} of {count} events appended")));
    }
    sequences.sort_unstable();
    Ok(sequences)
}

/// A PostgreSQL `text[]` literal of `items`, each dollar-quoted with a tag none of them
/// contains or ends with the start of (so no text can end its quote early: `$e0` followed by
/// the closing `$e0$` would read as a tag one character early).
fn text_array(items: &[String]) -> String {
    let mut n = 0u32;
    let tag = loop {
        let tag = format!("$e{n}$");
        let start = &tag[..tag.len() - 1];
        if !items
            .iter()
            .any(|item| item.contains(&tag) || item.ends_with(start))
        {
            break tag;
        }
        n += 1;
    };
    let mut out = String::from("ARRAY[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&tag);
        out.push_str(item);
        out.push_str(&tag);
    }
    out.push_str("]::text[]");
    out
}

/// Appends the events (their aggregates' and bodies' JSON texts) to the log of a store with
/// one writer (SQLite: the transaction holds the log until it ends); their sequences.
async fn append_one_writer(
    conn: &mut Conn,
    aggregates: Vec<String>,
    bodies: Vec<String>,
) -> Result<Vec<u64>> {
    let last = query("SELECT COALESCE(MAX(sequence), 0) AS last FROM athlos_events")
        .one(conn)
        .await?;
    let mut next: i64 = last.get("last")?;
    let mut sequences = Vec::with_capacity(aggregates.len());
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
    Ok(sequences)
}

/// The version of an aggregate, if it exists.
async fn version(conn: &mut Conn, kind: &str, id: &str) -> Result<Option<u64>> {
    aggregate_row(kind, id)
        .row(conn)
        .await?
        .map(|row| u64_of(row.get("version")?))
        .transpose()
}

fn stored<T: DeserializeOwned>(row: &Row) -> Result<Stored<T>> {
    Ok(Stored {
        version: u64_of(row.get("version")?)?,
        value: row.json("document")?,
    })
}

#[cfg(test)]
mod tests {
    use super::text_array;

    #[test]
    fn the_quote_tag_appears_nowhere_in_the_texts_nor_starts_at_their_end() {
        let plain = vec!["{\"a\":1}".to_owned()];
        assert_eq!(text_array(&plain), "ARRAY[$e0${\"a\":1}$e0$]::text[]");
        let inside = vec!["x $e0$ y".to_owned()];
        assert_eq!(text_array(&inside), "ARRAY[$e1$x $e0$ y$e1$]::text[]");
        // `$e0` then `$e0$` would close the quote one character early.
        let at_end = vec!["a".to_owned(), "b $e0".to_owned()];
        assert_eq!(
            text_array(&at_end),
            "ARRAY[$e1$a$e1$,$e1$b $e0$e1$]::text[]"
        );
    }
}
