//! Reading a field of participants from JSON or CSV text.
//!
//! ## JSON
//! An array of participant objects, or an object `{"participants": [...]}`; fields as in
//! [`Participant`] (`id` and `name` required; `rating`, `rank`, `seed`, `club`, `nation`,
//! `metadata` optional).
//!
//! ## CSV
//! A header row, then one participant per row. Recognised columns (any order, names
//! case-insensitive): `id`, `name` (both required), `rating`, `rank`, `seed` (whole numbers),
//! `club`, `nation`. Any other column is kept as a string in `metadata`. Empty cells mean
//! "not given". When `id` is absent as a column, ids are the 1-based row numbers.
//!
//! ```
//! let field = athlos_core::import::participants_from_csv(
//!     "name,club,rating\nAiko,Kodokan,2100\nBruno,Paris JC,1950\n",
//! )?;
//! assert_eq!(field[1].id.as_str(), "2");
//! assert_eq!(field[1].club.as_deref(), Some("Paris JC"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use thiserror::Error;

use crate::model::{validate_field, ModelError, Participant, ParticipantId};

/// Why a field could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The JSON is malformed or does not describe participants.
    #[error("json line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The CSV is malformed (for example a row with a different number of fields).
    #[error("csv line {line}: {message}")]
    Csv {
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A required column is missing from the header.
    #[error("csv header: missing required column \"{column}\"")]
    MissingColumn {
        /// The column.
        column: &'static str,
    },
    /// A cell holds a value its column does not accept.
    #[error("csv line {line}, field \"{field}\": invalid value {value:?} ({expected})")]
    InvalidValue {
        /// 1-based line.
        line: u64,
        /// The column name.
        field: String,
        /// The refused value.
        value: String,
        /// What the column accepts.
        expected: &'static str,
    },
    /// The participants are not a valid field.
    #[error("line {line}: {source}")]
    Field {
        /// 1-based line of the offending entry (0 when unknown).
        line: u64,
        /// The model error.
        #[source]
        source: ModelError,
    },
}

/// Reads participants from JSON: an array, or an object with a `participants` array.
///
/// # Errors
/// [`ImportError::Json`] with the position of the problem; [`ImportError::Field`] for
/// duplicate ids or seeds.
pub fn participants_from_json(text: &str) -> Result<Vec<Participant>, ImportError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Document {
        List(Vec<Participant>),
        Wrapped { participants: Vec<Participant> },
    }
    // Parse as a value first so errors carry a position even for the untagged forms.
    let value: serde_json::Value = serde_json::from_str(text).map_err(json_error)?;
    let field = match value {
        serde_json::Value::Array(_) => {
            serde_json::from_value::<Vec<Participant>>(value).map_err(|e| json_detail(text, e))?
        }
        serde_json::Value::Object(_) => {
            match serde_json::from_str::<Document>(text).map_err(json_error)? {
                Document::List(list) | Document::Wrapped { participants: list } => list,
            }
        }
        _ => {
            return Err(ImportError::Json {
                line: 1,
                column: 1,
                message: "expected an array of participants or {\"participants\": [...]}".into(),
            })
        }
    };
    check_unique(&field, |_| 0)?;
    Ok(field)
}

fn json_error(e: serde_json::Error) -> ImportError {
    ImportError::Json {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    }
}

/// Errors from `from_value` carry no position; re-parse typed to find it.
fn json_detail(text: &str, e: serde_json::Error) -> ImportError {
    match serde_json::from_str::<Vec<Participant>>(text) {
        Err(positioned) => json_error(positioned),
        Ok(_) => ImportError::Json {
            line: 0,
            column: 0,
            message: e.to_string(),
        },
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Reads participants from CSV with a header row (see the module docs for columns).
///
/// # Errors
/// [`ImportError`] naming the line and field at fault.
pub fn participants_from_csv(text: &str) -> Result<Vec<Participant>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let name_col = column("name").ok_or(ImportError::MissingColumn { column: "name" })?;
    let id_col = column("id");
    let known = ["id", "name", "rating", "rank", "seed", "club", "nation"];
    let mut field = Vec::new();
    let mut lines = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.map_err(csv_error)?;
        let line = record.position().map_or(row as u64 + 2, |p| p.line());
        let cell = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let number = |name: &'static str| -> Result<Option<u32>, ImportError> {
            match cell(column(name)) {
                None => Ok(None),
                Some(v) => v
                    .parse::<u32>()
                    .map(Some)
                    .map_err(|_| ImportError::InvalidValue {
                        line,
                        field: name.to_owned(),
                        value: v,
                        expected: "a whole number from 0 to 4294967295",
                    }),
            }
        };
        let id_text = match id_col {
            Some(i) => cell(Some(i)).ok_or_else(|| ImportError::InvalidValue {
                line,
                field: "id".into(),
                value: String::new(),
                expected: "a non-empty id",
            })?,
            None => (row + 1).to_string(),
        };
        let id = ParticipantId::new(id_text.clone()).map_err(|_| ImportError::InvalidValue {
            line,
            field: "id".into(),
            value: id_text,
            expected: "1-200 bytes without control characters",
        })?;
        let name = cell(Some(name_col)).ok_or_else(|| ImportError::InvalidValue {
            line,
            field: "name".into(),
            value: String::new(),
            expected: "a non-empty name",
        })?;
        let mut metadata = BTreeMap::new();
        for (i, header) in headers.iter().enumerate() {
            if !known.contains(&header.as_str()) {
                if let Some(v) = cell(Some(i)) {
                    metadata.insert(header.clone(), serde_json::Value::String(v));
                }
            }
        }
        field.push(Participant {
            id,
            name,
            rating: number("rating")?,
            rank: number("rank")?,
            seed: number("seed")?,
            club: cell(column("club")),
            nation: cell(column("nation")),
            metadata,
        });
        lines.push(line);
    }
    check_unique(&field, |i| lines.get(i).copied().unwrap_or(0))?;
    Ok(field)
}

fn csv_error(e: csv::Error) -> ImportError {
    let line = e.position().map_or(0, csv::Position::line);
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields, found {len}"),
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_owned(),
        _ => e.to_string(),
    };
    ImportError::Csv { line, message }
}

/// Duplicate ids and seeds are reported with the line of the second occurrence.
fn check_unique(field: &[Participant], line_of: impl Fn(usize) -> u64) -> Result<(), ImportError> {
    let mut ids = BTreeMap::new();
    let mut seeds = BTreeMap::new();
    for (i, p) in field.iter().enumerate() {
        if ids.insert(&p.id, i).is_some() {
            return Err(ImportError::Field {
                line: line_of(i),
                source: ModelError::DuplicateId { id: p.id.clone() },
            });
        }
        if let Some(seed) = p.seed {
            if let Some(first) = seeds.insert(seed, i) {
                return Err(ImportError::Field {
                    line: line_of(i),
                    source: ModelError::DuplicateSeed {
                        seed,
                        first: field[first].id.clone(),
                        second: p.id.clone(),
                    },
                });
            }
        }
    }
    if field.len() >= 2 {
        validate_field(field).map_err(|source| ImportError::Field { line: 0, source })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_all_columns_and_metadata() {
        let field = participants_from_csv(
            "id,name,rating,rank,seed,club,nation,weight\n\
             a1,Aiko,2100,3,1,Kodokan,JPN,73\n\
             b2,Bruno,,,,,FRA,\n",
        )
        .unwrap();
        assert_eq!(field.len(), 2);
        assert_eq!(field[0].seed, Some(1));
        assert_eq!(field[0].metadata["weight"], "73");
        assert_eq!(field[1].rating, None);
        assert!(field[1].metadata.is_empty());
    }

    #[test]
    fn csv_errors_name_line_and_field() {
        let err = participants_from_csv("id,name,rating\na,A,100\nb,B,abc\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "csv line 3, field \"rating\": invalid value \"abc\" (a whole number from 0 to 4294967295)"
        );
        let err = participants_from_csv("id,name\na,A\nb,B,extra\n").unwrap_err();
        assert_eq!(err.to_string(), "csv line 3: expected 2 fields, found 3");
        let err = participants_from_csv("id,rating\na,1\n").unwrap_err();
        assert_eq!(err, ImportError::MissingColumn { column: "name" });
        let err = participants_from_csv("id,name\na,A\na,B\n").unwrap_err();
        assert_eq!(err.to_string(), "line 3: duplicate participant id \"a\"");
    }

    #[test]
    fn json_array_or_wrapped() {
        let a = participants_from_json(r#"[{"id":"x","name":"X"},{"id":"y","name":"Y"}]"#).unwrap();
        let b = participants_from_json(
            r#"{"participants":[{"id":"x","name":"X"},{"id":"y","name":"Y"}]}"#,
        )
        .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn json_errors_carry_a_position() {
        let err =
            participants_from_json("[{\"id\":\"x\",\n\"name\":\"X\", \"ratin\": 3}]").unwrap_err();
        assert!(
            matches!(&err, ImportError::Json { line: 2, message, .. } if message.contains("unknown field `ratin`")),
            "{err}"
        );
        let err = participants_from_json("[{\"id\":\"\",\"name\":\"X\"}]").unwrap_err();
        assert!(err.to_string().contains("invalid participant id"), "{err}");
        assert!(participants_from_json("42").is_err());
        assert!(participants_from_json("{").is_err());
    }
}

crate::codes::error_codes! {
ImportError {
    Json => "json", Invalid;
    Csv => "csv", Invalid;
    MissingColumn => "missing_column", Invalid;
    InvalidValue => "invalid_value", Invalid;
    Field => "field", Invalid;
}
}
