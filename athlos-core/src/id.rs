//! Identifiers of the aggregates the service layer keeps: competitions (the "events" of the
//! HTTP API), divisions, tournaments, drafts and domain events.
//!
//! Each is a newtype over a string of 1 to 200 bytes without control characters, serialized
//! as a plain string and validated when deserialized.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::ModelError;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal $(, reserved = $reserved:expr)?) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Makes an id from a string.
            ///
            /// # Errors
            /// [`ModelError::InvalidId`] when the string is empty, longer than 200 bytes or
            /// contains a control character; [`ModelError::ReservedId`] for a name the type
            /// reserves.
            pub fn new(id: impl Into<String>) -> Result<Self, ModelError> {
                let id = id.into();
                if id.is_empty() || id.len() > 200 || id.chars().any(char::is_control) {
                    return Err(ModelError::InvalidId { kind: $kind, id });
                }
                $(if $reserved.contains(&id.as_str()) {
                    return Err(ModelError::ReservedId { kind: $kind, id });
                })?
                Ok(Self(id))
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ModelError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// Identifies a competition (an "event" such as a judo championship) holding divisions.
    CompetitionId,
    "event"
);
string_id!(
    /// Identifies a division of a competition: one bracket (e.g. "men -73 kg").
    DivisionId,
    "division"
);
string_id!(
    /// Identifies a live tournament with registration, rounds and results.
    TournamentId,
    "tournament"
);
string_id!(
    /// Identifies a fantasy draft.
    DraftId,
    "draft"
);
string_id!(
    /// Identifies a user account (the subject of its principal); the adapter draws it.
    UserId,
    "user"
);
string_id!(
    /// Identifies an API token of a user account (the adapter draws it).
    TokenId,
    "api token"
);
string_id!(
    /// Identifies a domain event; unique in the event log.
    EventId,
    "domain event"
);
string_id!(
    /// Names a tag of a division's version history (`current`, `published` or a user tag);
    /// never one of [`TagName::RESERVED`].
    TagName,
    "tag",
    reserved = TagName::RESERVED
);

impl TagName {
    /// Names no tag may have: the HTTP API's division-wide `tags/undo`, `tags/redo` and
    /// `tags/history` sit where a tag of that name would be addressed (`tags/{tag}`).
    pub const RESERVED: [&'static str; 3] = ["undo", "redo", "history"];

    /// The tag that always names the version in use.
    pub fn current() -> Self {
        Self("current".to_owned())
    }

    /// The tag naming the version shown to the public.
    pub fn published() -> Self {
        Self("published".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_validate_on_construction_and_deserialization() {
        assert!(DivisionId::new("").is_err());
        assert!(TournamentId::new("t\u{7}").is_err());
        assert_eq!(
            CompetitionId::new("judo-2026").unwrap().as_str(),
            "judo-2026"
        );
        assert!(serde_json::from_str::<DraftId>("\"\"").is_err());
        assert_eq!(TagName::current().to_string(), "current");
        for reserved in TagName::RESERVED {
            assert!(matches!(
                TagName::new(reserved),
                Err(ModelError::ReservedId { kind: "tag", .. })
            ));
            assert!(serde_json::from_str::<TagName>(&format!("\"{reserved}\"")).is_err());
        }
        assert!(TagName::new("Undo").is_ok());
    }

    #[test]
    fn a_refused_id_names_what_it_identifies() {
        let message = |e: ModelError| e.to_string();
        assert!(message(TournamentId::new("").unwrap_err()).starts_with("invalid tournament id"));
        assert!(message(CompetitionId::new("a\nb").unwrap_err()).starts_with("invalid event id"));
        assert!(message(DivisionId::new("x".repeat(201)).unwrap_err())
            .starts_with("invalid division id"));
    }
}
