//! A data migration: the director records an earlier server kept in the job queue move into
//! the aggregates they describe.
//!
//! Earlier versions of the HTTP server recorded who directs a competition or tournament,
//! and a tournament's `self_reporting` and `auto_advance`, as never-due jobs of kind
//! `director_record` keyed `athlos.director:{kind}:{id}`. The aggregates now carry these
//! fields themselves. On open, each record is written into its aggregate's document (the
//! version stays: nothing of the aggregate changed), or, when the aggregate was deleted,
//! kept as its tombstone so the id stays reserved to its director; then the records go. One
//! transaction: a failure leaves the records where they were, to be adopted on the next open.

use athlos_core::error::StoreError;
use serde_json::{Map, Value};

use crate::codec::backend;
use crate::dialect::{json, query, Db};

/// The job kind of the old records.
const KIND: &str = "director_record";

/// The key prefix of the old records.
const PREFIX: &str = "athlos.director:";

/// Moves every director record into its aggregate; how many it moved.
pub(crate) async fn adopt_director_records(db: &Db) -> Result<usize, StoreError> {
    let mut tx = db.begin().await?;
    let records =
        query("SELECT id, idempotency_key, payload FROM athlos_jobs WHERE kind = $1 ORDER BY id")
            .bind(KIND)
            .rows(&mut tx.conn())
            .await?;
    if records.is_empty() {
        return Ok(0);
    }
    for record in &records {
        let key: Option<String> = record.get("idempotency_key")?;
        let Some((kind, id)) = key.as_deref().and_then(parse_key) else {
            continue;
        };
        let fields: Map<String, Value> = record.json("payload")?;
        let found = query("SELECT document FROM athlos_aggregates WHERE kind = $1 AND id = $2")
            .bind(kind)
            .bind(id)
            .row(&mut tx.conn())
            .await?;
        match found {
            Some(row) => {
                let mut document: Map<String, Value> = row.json("document")?;
                adopt(&mut document, kind, &fields);
                query("UPDATE athlos_aggregates SET document = $1 WHERE kind = $2 AND id = $3")
                    .bind(json(text(&document)?))
                    .bind(kind)
                    .bind(id)
                    .execute(&mut tx.conn())
                    .await?;
            }
            None => {
                let mut document = Map::new();
                adopt(&mut document, kind, &fields);
                query(
                    "INSERT INTO athlos_aggregates (kind, id, version, state, document) \
                     VALUES ($1, $2, 0, NULL, $3) ON CONFLICT (kind, id) DO NOTHING",
                )
                .bind(format!("deleted_{kind}"))
                .bind(id)
                .bind(json(text(&document)?))
                .execute(&mut tx.conn())
                .await?;
            }
        }
    }
    query("DELETE FROM athlos_jobs WHERE kind = $1")
        .bind(KIND)
        .execute(&mut tx.conn())
        .await?;
    tx.commit().await?;
    Ok(records.len())
}

/// `("tournament", "spring-open")` of `athlos.director:tournament:spring-open`.
fn parse_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(PREFIX)?;
    let (kind, id) = rest.split_once(':')?;
    matches!(kind, "competition" | "tournament").then_some((kind, id))
}

/// Writes a record's fields into a document of `kind` (a competition has no settings).
fn adopt(document: &mut Map<String, Value>, kind: &str, record: &Map<String, Value>) {
    if let Some(director) = record.get("director").filter(|d| d.is_string()) {
        document.insert("director".to_owned(), director.clone());
    }
    if kind == "tournament" {
        for flag in ["self_reporting", "auto_advance"] {
            let on = record.get(flag).and_then(Value::as_bool).unwrap_or(false);
            document.insert(flag.to_owned(), Value::Bool(on));
        }
    }
}

fn text(document: &Map<String, Value>) -> Result<String, StoreError> {
    serde_json::to_string(document).map_err(backend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_competitions_and_tournaments_only() {
        assert_eq!(
            parse_key("athlos.director:tournament:spring:open"),
            Some(("tournament", "spring:open"))
        );
        assert_eq!(
            parse_key("athlos.director:competition:worlds"),
            Some(("competition", "worlds"))
        );
        assert_eq!(parse_key("athlos.director:draft:d1"), None);
        assert_eq!(parse_key("other:tournament:t"), None);
    }

    #[test]
    fn a_record_sets_the_director_and_a_tournament_s_flags() {
        let record: Map<String, Value> =
            serde_json::from_str(r#"{"director": "td", "self_reporting": true}"#).unwrap();
        let mut tournament = Map::new();
        adopt(&mut tournament, "tournament", &record);
        assert_eq!(
            Value::Object(tournament),
            serde_json::json!({"director": "td", "self_reporting": true, "auto_advance": false})
        );
        let mut competition = Map::new();
        adopt(&mut competition, "competition", &record);
        assert_eq!(
            Value::Object(competition),
            serde_json::json!({"director": "td"})
        );
    }
}
