//! Competitions ("events" in the HTTP API) and their divisions: a field each, drawn into a
//! bracket that is versioned, previewed and locked through the bracket lifecycle.

use serde::{Deserialize, Serialize};

use crate::access::{self, Principal, Refusal};
use crate::bracket::{Bracket, BracketOptions};
use crate::id::{CompetitionId, DivisionId};
use crate::lifecycle::BracketState;
use crate::model::Participant;
use crate::version::History;

/// A competition: a named set of divisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Competition {
    /// Id.
    pub id: CompetitionId,
    /// Display name.
    pub name: String,
    /// Its divisions, in creation order.
    pub divisions: Vec<DivisionId>,
    /// Who directs it, its divisions included (`None`: administrators only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub director: Option<String>,
}

impl Competition {
    /// Whether `principal` may direct the competition and its divisions.
    ///
    /// # Errors
    /// [`Refusal::NotDirector`].
    pub fn may_direct(&self, principal: &Principal) -> Result<(), Refusal> {
        access::may_direct(principal, self.director.as_deref())
    }
}

/// How a division's bracket is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DivisionRules {
    /// Bracket options.
    pub options: BracketOptions,
    /// The draw seed.
    pub seed: u64,
}

/// A division: a field, its rules, and its bracket through the bracket lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Division {
    /// Id.
    pub id: DivisionId,
    /// The competition it belongs to.
    pub competition: CompetitionId,
    /// Display name.
    pub name: String,
    /// The field.
    pub participants: Vec<Participant>,
    /// The rules.
    pub rules: DivisionRules,
    /// Where the bracket stands.
    pub state: BracketState,
    /// The bracket in use: the version tagged `current`, with results once locked.
    pub bracket: Option<Bracket>,
    /// Versions, tags and reflog.
    pub history: History,
}
