//! Who may do what: the authorisation decisions every adapter asks the core.
//!
//! An adapter authenticates its callers (a bearer token, a session, a Python caller that is
//! trusted) and hands the core a [`Principal`]; the core answers whether that principal may
//! direct an aggregate or report a match's result. The people and settings the decisions
//! read live in the aggregates themselves (a competition's or tournament's `director`, a
//! tournament's `self_reporting`), so the check and the change it allows read one document.

use std::fmt;

/// Someone acting on the engine: an opaque subject (a user or token subject) and whether
/// the adapter vouches for them as an administrator.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Principal {
    subject: String,
    admin: bool,
}

impl Principal {
    /// A principal with `subject`, an administrator when `admin`.
    pub fn new(subject: impl Into<String>, admin: bool) -> Self {
        Self {
            subject: subject.into(),
            admin,
        }
    }

    /// The subject.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Whether the principal is an administrator (who may act as any director).
    pub fn is_admin(&self) -> bool {
        self.admin
    }
}

/// The roles an adapter may vouch for; only [`Role::Admin`] carries rights of its own (it
/// may act as any director), the others name what the principal is for the adapter's users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// May act as any director, commissioner or manager.
    Admin,
    /// Creates and directs competitions, tournaments and drafts.
    Director,
    /// Picks for a team of a draft.
    Manager,
    /// Enters tournaments and may report their own results where allowed.
    Player,
    /// A program that enters tournaments, as a player does.
    Bot,
    /// A signed-in person with no other role.
    User,
}

impl Role {
    /// Every role, in the order above.
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Director,
        Role::Manager,
        Role::Player,
        Role::Bot,
        Role::User,
    ];

    /// The role's name (`admin` …).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Director => "director",
            Role::Manager => "manager",
            Role::Player => "player",
            Role::Bot => "bot",
            Role::User => "user",
        }
    }

    /// The role named `name` (exactly, lower case); `None` for a role Athlos does not know.
    pub fn named(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a principal may not do something; the adapters answer it as "forbidden".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// Only the director (or an administrator) may do this.
    NotDirector,
    /// The tournament does not allow self-reporting: only the director reports results.
    NoSelfReporting,
    /// Self-reporting is allowed, but only to an entrant of the match.
    NotInMatch,
    /// Only a draft's commissioner (or an administrator) may do this.
    NotCommissioner,
    /// Only the manager of the team, the commissioner or an administrator may do this.
    NotManager {
        /// The team, from 0.
        team: u32,
    },
    /// Only the account's holder (or an administrator) may do this.
    NotAccountHolder,
    /// Only an administrator may do this.
    NotAdmin,
    /// Only a member of the team, the director or an administrator may do this.
    NotTeamMember,
}

impl Refusal {
    /// A stable code for the refusal.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotDirector => "not_director",
            Refusal::NoSelfReporting => "no_self_reporting",
            Refusal::NotInMatch => "not_in_match",
            Refusal::NotCommissioner => "not_commissioner",
            Refusal::NotManager { .. } => "not_manager",
            Refusal::NotAccountHolder => "not_account_holder",
            Refusal::NotAdmin => "not_admin",
            Refusal::NotTeamMember => "not_team_member",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotDirector => {
                f.write_str("only the director (the creator) or an admin may do this")
            }
            Refusal::NoSelfReporting => f.write_str(
                "this tournament does not allow self-reporting: only the director may report results",
            ),
            Refusal::NotInMatch => {
                f.write_str("only the director or an entrant of this match may report its result")
            }
            Refusal::NotCommissioner => f.write_str(
                "only the commissioner (the draft's creator) or an admin may do this",
            ),
            Refusal::NotManager { team } => write!(
                f,
                "only the manager of team {team}, the commissioner or an admin may do this"
            ),
            Refusal::NotAccountHolder => {
                f.write_str("only the account's holder or an admin may do this")
            }
            Refusal::NotAdmin => f.write_str("only an admin may do this"),
            Refusal::NotTeamMember => f.write_str(
                "only a member of the team (the caller must be among its members), the director or an admin may do this",
            ),
        }
    }
}

impl std::error::Error for Refusal {}

/// Whether `principal` may direct something directed by `director` (`None`: made outside any
/// adapter that records people, so administrators only).
///
/// # Errors
/// [`Refusal::NotDirector`].
pub fn may_direct(principal: &Principal, director: Option<&str>) -> Result<(), Refusal> {
    if principal.is_admin() || director == Some(principal.subject()) {
        Ok(())
    } else {
        Err(Refusal::NotDirector)
    }
}

/// The director named by what a deleted competition or tournament left behind (its last
/// document, [`AggregateStore::tombstone`](crate::store::AggregateStore::tombstone)): the id
/// stays reserved to them.
pub fn last_director(tombstone: &serde_json::Value) -> Option<&str> {
    tombstone
        .get("director")
        .and_then(serde_json::Value::as_str)
}

/// Whether `principal` may act as the commissioner of a draft commissioned by `commissioner`
/// (`None`: the draft is gone, administrators only).
///
/// # Errors
/// [`Refusal::NotCommissioner`].
pub fn may_commission(principal: &Principal, commissioner: Option<&str>) -> Result<(), Refusal> {
    if principal.is_admin() || commissioner == Some(principal.subject()) {
        Ok(())
    } else {
        Err(Refusal::NotCommissioner)
    }
}

/// Whether `principal` may pick and keep the queue for `team`, managed by `manager` in a draft
/// commissioned by `commissioner`: the manager, the commissioner or an administrator.
///
/// # Errors
/// [`Refusal::NotManager`].
pub fn may_manage(
    principal: &Principal,
    commissioner: &str,
    manager: Option<&str>,
    team: u32,
) -> Result<(), Refusal> {
    if may_commission(principal, Some(commissioner)).is_ok() || manager == Some(principal.subject())
    {
        Ok(())
    } else {
        Err(Refusal::NotManager { team })
    }
}

/// Whether `principal` may register or unregister a team with `members` in something directed
/// by `director`: one of the members, the director or an administrator.
///
/// # Errors
/// [`Refusal::NotTeamMember`].
pub fn may_act_for_team(
    principal: &Principal,
    director: Option<&str>,
    members: &[String],
) -> Result<(), Refusal> {
    if may_direct(principal, director).is_ok() || members.iter().any(|m| m == principal.subject()) {
        Ok(())
    } else {
        Err(Refusal::NotTeamMember)
    }
}

/// Whether `principal` may report the result of a match with `sides` in something directed
/// by `director` with `self_reporting`: the director always, an entrant of the match when
/// self-reporting is allowed.
///
/// # Errors
/// [`Refusal::NoSelfReporting`] or [`Refusal::NotInMatch`].
pub fn may_report<'a>(
    principal: &Principal,
    director: Option<&str>,
    self_reporting: bool,
    mut sides: impl Iterator<Item = &'a str>,
) -> Result<(), Refusal> {
    if may_direct(principal, director).is_ok() {
        return Ok(());
    }
    if !self_reporting {
        return Err(Refusal::NoSelfReporting);
    }
    if sides.any(|side| side == principal.subject()) {
        Ok(())
    } else {
        Err(Refusal::NotInMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_named_exactly() {
        for role in Role::ALL {
            assert_eq!(Role::named(role.as_str()), Some(role));
        }
        assert_eq!(Role::named("superuser"), None);
        assert_eq!(Role::named("Admin"), None);
        assert_eq!(Role::named(""), None);
    }

    #[test]
    fn directors_and_admins_direct_nobody_else_does() {
        let td = Principal::new("td", false);
        let admin = Principal::new("root", true);
        let other = Principal::new("x", false);
        assert_eq!(may_direct(&td, Some("td")), Ok(()));
        assert_eq!(may_direct(&admin, Some("td")), Ok(()));
        assert_eq!(may_direct(&admin, None), Ok(()));
        assert_eq!(may_direct(&other, Some("td")), Err(Refusal::NotDirector));
        assert_eq!(may_direct(&td, None), Err(Refusal::NotDirector));
    }

    #[test]
    fn commissioners_and_admins_commission_managers_manage_their_team() {
        let c = Principal::new("c", false);
        let m = Principal::new("m", false);
        let admin = Principal::new("root", true);
        assert_eq!(may_commission(&c, Some("c")), Ok(()));
        assert_eq!(may_commission(&admin, None), Ok(()));
        assert_eq!(may_commission(&c, None), Err(Refusal::NotCommissioner));
        assert_eq!(may_commission(&m, Some("c")), Err(Refusal::NotCommissioner));
        assert_eq!(may_manage(&m, "c", Some("m"), 2), Ok(()));
        assert_eq!(may_manage(&c, "c", Some("m"), 2), Ok(()));
        assert_eq!(may_manage(&admin, "c", None, 0), Ok(()));
        assert_eq!(
            may_manage(&m, "c", Some("n"), 1),
            Err(Refusal::NotManager { team: 1 })
        );
        assert_eq!(
            Refusal::NotManager { team: 1 }.to_string(),
            "only the manager of team 1, the commissioner or an admin may do this"
        );
    }

    #[test]
    fn a_tombstone_names_its_last_director() {
        let last = serde_json::json!({"id": "t", "director": "td"});
        assert_eq!(last_director(&last), Some("td"));
        assert_eq!(last_director(&serde_json::json!({"id": "t"})), None);
    }

    #[test]
    fn members_directors_and_admins_act_for_a_team() {
        let members = ["a".to_string(), "b".to_string()];
        let td = Principal::new("td", false);
        let admin = Principal::new("root", true);
        assert_eq!(
            may_act_for_team(&Principal::new("b", false), Some("td"), &members),
            Ok(())
        );
        assert_eq!(may_act_for_team(&td, Some("td"), &members), Ok(()));
        assert_eq!(may_act_for_team(&admin, None, &members), Ok(()));
        assert_eq!(
            may_act_for_team(&Principal::new("c", false), Some("td"), &members),
            Err(Refusal::NotTeamMember)
        );
        assert_eq!(
            may_act_for_team(&td, Some("td2"), &[]),
            Err(Refusal::NotTeamMember)
        );
        assert_eq!(Refusal::NotTeamMember.code(), "not_team_member");
    }

    #[test]
    fn entrants_report_their_own_matches_only_with_self_reporting() {
        let a = Principal::new("a", false);
        let td = Principal::new("td", false);
        let sides = || ["a", "b"].into_iter();
        assert_eq!(may_report(&td, Some("td"), false, sides()), Ok(()));
        assert_eq!(
            may_report(&a, Some("td"), false, sides()),
            Err(Refusal::NoSelfReporting)
        );
        assert_eq!(may_report(&a, Some("td"), true, sides()), Ok(()));
        assert_eq!(
            may_report(&a, Some("td"), true, ["c", "b"].into_iter()),
            Err(Refusal::NotInMatch)
        );
    }
}
