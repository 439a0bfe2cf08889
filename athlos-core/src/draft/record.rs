//! A draft as the store keeps it: the draft and who may act on it.

use serde::{Deserialize, Serialize};

use super::Draft;
use crate::access::{self, Principal, Refusal};
use crate::id::DraftId;

/// A fantasy draft as stored: the draft and who may act on it.
///
/// The principals are opaque strings (an adapter's user or token subject); the core only
/// keeps them with the draft so that a check and the change it allows read one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftRecord {
    /// The draft.
    pub draft: Draft,
    /// Who controls the draft: start, pause, resume, undo, trades, and picks for any team.
    pub commissioner: String,
    /// Who picks and sets the queue for each team (index = team); `None`: the commissioner.
    pub managers: Vec<Option<String>>,
}

impl DraftRecord {
    /// The draft's id.
    pub fn id(&self) -> &DraftId {
        self.draft.settings().id()
    }

    /// Whether `principal` may act as the commissioner: start, pause, resume, undo, trades,
    /// picks for any team.
    ///
    /// # Errors
    /// [`Refusal::NotCommissioner`].
    pub fn may_direct(&self, principal: &Principal) -> Result<(), Refusal> {
        access::may_commission(principal, Some(&self.commissioner))
    }

    /// Whether `principal` may pick and keep the queue for `team`.
    ///
    /// # Errors
    /// [`Refusal::NotManager`].
    pub fn may_manage(&self, principal: &Principal, team: u32) -> Result<(), Refusal> {
        let manager = self.managers.get(team as usize).and_then(Option::as_deref);
        access::may_manage(principal, &self.commissioner, manager, team)
    }
}

/// The purpose of a draft's pick-clock deadline ([`DeadlineKey::purpose`](crate::store::DeadlineKey::purpose)).
pub const PICK_CLOCK: &str = "pick_clock";
