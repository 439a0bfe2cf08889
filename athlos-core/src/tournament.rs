//! Tournaments: a field that registers, then plays a bracket or a Swiss round by round.
//!
//! A [`Tournament`] is the aggregate the service keeps for a live event (entries, rules,
//! lifecycle state, and from the start its [`Play`]); who directs it and what it lets happen
//! by itself ([`TournamentSettings`]) are part of the same document, so a check and the change
//! it allows read one version.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, Serializer};

use crate::access::{self, Principal, Refusal};
use crate::bracket::{Bracket, BracketOptions, MatchId, MatchResult};
use crate::id::TournamentId;
use crate::lifecycle::TournamentState;
use crate::model::{Participant, ParticipantId};
use crate::swiss::play::{SwissPlay, SwissRules};

/// How a tournament is played.
///
/// In JSON either a Swiss, `{"swiss": {"rounds": 5}}`, or a bracket,
/// `{"options": {"format": "single_elimination"}}`; `min_entries` defaults to 2 and `seed` to
/// 0. A Swiss may carry `options` for its seeding fields; a bracket needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "RulesInput")]
pub struct TournamentRules {
    /// Bracket options; knockout (single elimination) and round robin formats are played
    /// round by round.
    pub options: BracketOptions,
    /// Entries needed to start (at least 2).
    pub min_entries: usize,
    /// Entries allowed at most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_entries: Option<usize>,
    /// The draw seed.
    pub seed: u64,
    /// Play a Swiss (FIDE Dutch) instead of a bracket: `options` then only carries the
    /// seeding fields, and the rounds, colours, acceleration and tie-breaks come from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swiss: Option<SwissRules>,
}

/// What a caller writes for [`TournamentRules`]: the defaults filled in, one of `swiss` and
/// `options` required.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesInput {
    #[serde(default)]
    options: Option<BracketOptions>,
    #[serde(default)]
    min_entries: Option<usize>,
    #[serde(default)]
    max_entries: Option<usize>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    swiss: Option<SwissRules>,
}

impl TryFrom<RulesInput> for TournamentRules {
    type Error = String;

    fn try_from(input: RulesInput) -> Result<Self, Self::Error> {
        let options = match (input.options, &input.swiss) {
            (Some(options), _) => options,
            (None, Some(_)) => BracketOptions::new(crate::bracket::Format::SingleElimination),
            (None, None) => {
                return Err("rules need either `swiss` (a Swiss: {\"swiss\": {\"rounds\": 5}}) or `options` (a bracket: {\"options\": {\"format\": \"single_elimination\"}})".to_string())
            }
        };
        Ok(Self {
            options,
            min_entries: input.min_entries.unwrap_or(2),
            max_entries: input.max_entries,
            seed: input.seed.unwrap_or(0),
            swiss: input.swiss,
        })
    }
}

/// How a started tournament is played: one bracket, or the rounds of a Swiss.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Play {
    /// A bracket (knockout or round robin formats, played round by round).
    Bracket(Bracket),
    /// A Swiss (FIDE Dutch): the rounds paired so far.
    Swiss(SwissPlay),
}

/// A live tournament.
///
/// Stored as JSON with its play under `bracket` (`null` before the start of a bracket
/// format) or `swiss`, never both.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "TournamentDocument")]
pub struct Tournament {
    /// Id.
    pub id: TournamentId,
    /// Display name.
    pub name: String,
    /// The rules.
    pub rules: TournamentRules,
    /// Lifecycle state.
    pub state: TournamentState,
    /// Registered entries, in joining order.
    pub entries: Vec<Participant>,
    /// The bracket or the Swiss, from the start.
    pub play: Option<Play>,
    /// The current round, from 1 (0 before the start).
    pub round: u32,
    /// Who directs it (`None`: administrators only).
    pub director: Option<String>,
    /// Entrants may report the results of their own matches.
    pub self_reporting: bool,
    /// A round closes by itself, in the same change, when its last result arrives (as the
    /// Swiss rules' `auto_advance` asks too).
    pub auto_advance: bool,
    /// When its last round completed, by the service's clock (`None` until then, and for a
    /// tournament finished before finish times were recorded).
    pub finished_at: Option<DateTime<Utc>>,
    /// When play is announced to begin (informative: starting stays the director's action).
    pub starts_at: Option<DateTime<Utc>>,
    /// When it started (round 1 paired), by the service's clock (`None` before, and for a
    /// tournament started before start times were recorded).
    pub started_at: Option<DateTime<Utc>>,
    /// Entries may withdraw only before the start (`false`, the default: also during play,
    /// their remaining games becoming walkovers).
    pub withdrawals_close_at_start: bool,
    /// The teams registered, in registration order: each is also an entry (a
    /// [`Participant`] whose id is the team's id).
    pub teams: Vec<Team>,
    /// Who follows it (principal subjects, sorted, each once): they are notified of its
    /// state changes, results and end ([`crate::notify`]).
    pub followers: Vec<String>,
    /// When the reminder of its start (`tournament.starting`) fired for the current
    /// `starts_at` (`None`: not yet; an edit of `starts_at` resets it).
    pub reminded_at: Option<DateTime<Utc>>,
    /// Its games are played on a board service with this clock (`None`: results are
    /// reported, as usual).
    pub board: Option<BoardGames>,
    /// The board service's game id of each match whose game was created there (empty for a
    /// tournament without a board, and in documents written before games were recorded).
    pub board_games: BTreeMap<MatchId, String>,
    /// The moves of each board game that ended, space-separated UCI, as the board service
    /// reported them with its end.
    pub board_moves: BTreeMap<MatchId, String>,
}

/// How the games of a tournament played on a board service (a chess server for bots, say)
/// are set up there: the clock both sides get, and whether the games are rated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardGames {
    /// Each side's initial time, seconds.
    pub clock_limit: u32,
    /// The increment a move, seconds.
    pub clock_increment: u32,
    /// Whether the games count for ratings.
    pub rated: bool,
}

/// A team entered in a tournament: its entry's id and name, and the subjects of its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    /// The team's id, which is also its entry's id.
    pub id: ParticipantId,
    /// Display name.
    pub name: String,
    /// The members: principal subjects (who registers a team is usually among them).
    pub members: Vec<String>,
}

impl Team {
    /// Whether `subject` is a member.
    pub fn has_member(&self, subject: &str) -> bool {
        self.members.iter().any(|m| m == subject)
    }
}

/// A [`Tournament`] as its JSON document reads.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TournamentDocument {
    id: TournamentId,
    name: String,
    rules: TournamentRules,
    state: TournamentState,
    entries: Vec<Participant>,
    bracket: Option<Bracket>,
    #[serde(default)]
    swiss: Option<SwissPlay>,
    round: u32,
    #[serde(default)]
    director: Option<String>,
    #[serde(default)]
    self_reporting: bool,
    #[serde(default)]
    auto_advance: bool,
    #[serde(default)]
    finished_at: Option<DateTime<Utc>>,
    #[serde(default)]
    starts_at: Option<DateTime<Utc>>,
    #[serde(default)]
    started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    withdrawals_close_at_start: bool,
    #[serde(default)]
    teams: Vec<Team>,
    #[serde(default)]
    followers: Vec<String>,
    #[serde(default)]
    reminded_at: Option<DateTime<Utc>>,
    #[serde(default)]
    board: Option<BoardGames>,
    #[serde(default)]
    board_games: BTreeMap<MatchId, String>,
    #[serde(default)]
    board_moves: BTreeMap<MatchId, String>,
}

impl TryFrom<TournamentDocument> for Tournament {
    type Error = &'static str;

    fn try_from(d: TournamentDocument) -> Result<Self, Self::Error> {
        let play = match (d.bracket, d.swiss) {
            (Some(_), Some(_)) => {
                return Err("a tournament plays a `bracket` or a `swiss`, not both")
            }
            (Some(bracket), None) => Some(Play::Bracket(bracket)),
            (None, Some(swiss)) => Some(Play::Swiss(swiss)),
            (None, None) => None,
        };
        Ok(Self {
            id: d.id,
            name: d.name,
            rules: d.rules,
            state: d.state,
            entries: d.entries,
            play,
            round: d.round,
            director: d.director,
            self_reporting: d.self_reporting,
            auto_advance: d.auto_advance,
            finished_at: d.finished_at,
            starts_at: d.starts_at,
            started_at: d.started_at,
            withdrawals_close_at_start: d.withdrawals_close_at_start,
            teams: d.teams,
            followers: d.followers,
            reminded_at: d.reminded_at,
            board: d.board,
            board_games: d.board_games,
            board_moves: d.board_moves,
        })
    }
}

/// The same document, borrowed for writing (fields in the order they always had).
#[derive(Serialize)]
struct TournamentView<'a> {
    id: &'a TournamentId,
    name: &'a str,
    rules: &'a TournamentRules,
    state: &'a TournamentState,
    entries: &'a [Participant],
    bracket: Option<&'a Bracket>,
    #[serde(skip_serializing_if = "Option::is_none")]
    swiss: Option<&'a SwissPlay>,
    round: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    director: Option<&'a str>,
    self_reporting: bool,
    auto_advance: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    finished_at: Option<&'a DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    starts_at: Option<&'a DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    started_at: Option<&'a DateTime<Utc>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    withdrawals_close_at_start: bool,
    #[serde(skip_serializing_if = "<[Team]>::is_empty")]
    teams: &'a [Team],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    followers: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    reminded_at: Option<&'a DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    board: Option<&'a BoardGames>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    board_games: &'a BTreeMap<MatchId, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    board_moves: &'a BTreeMap<MatchId, String>,
}

impl Serialize for Tournament {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        TournamentView {
            id: &self.id,
            name: &self.name,
            rules: &self.rules,
            state: &self.state,
            entries: &self.entries,
            bracket: self.bracket(),
            swiss: self.swiss(),
            round: self.round,
            director: self.director.as_deref(),
            self_reporting: self.self_reporting,
            auto_advance: self.auto_advance,
            finished_at: self.finished_at.as_ref(),
            starts_at: self.starts_at.as_ref(),
            started_at: self.started_at.as_ref(),
            withdrawals_close_at_start: self.withdrawals_close_at_start,
            teams: &self.teams,
            followers: &self.followers,
            reminded_at: self.reminded_at.as_ref(),
            board: self.board.as_ref(),
            board_games: &self.board_games,
            board_moves: &self.board_moves,
        }
        .serialize(serializer)
    }
}

/// Who directs a new tournament and what it lets happen by itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TournamentSettings {
    /// The director (`None`: administrators only).
    pub director: Option<String>,
    /// Entrants may report the results of their own matches.
    pub self_reporting: bool,
    /// A round closes by itself when its last result arrives.
    pub auto_advance: bool,
    /// The games are played on a board service with this clock.
    pub board: Option<BoardGames>,
    /// Entries may withdraw only before the start.
    pub withdrawals_close_at_start: bool,
}

impl Tournament {
    /// Whether a round closes by itself when its last result arrives: the tournament's
    /// setting or, for a Swiss, its rules'.
    pub fn auto_advances(&self) -> bool {
        self.auto_advance || self.rules.swiss.as_ref().is_some_and(|r| r.auto_advance)
    }

    /// Whether `match_id` may end in a draw: any game of a Swiss, and pool (round-robin)
    /// matches of a bracket; elimination matches need a winner.
    pub fn may_be_drawn(&self, match_id: &MatchId) -> bool {
        self.swiss().is_some() || match_id.part() == crate::bracket::Part::Pool
    }

    /// Whether `principal` may direct the tournament.
    ///
    /// # Errors
    /// [`Refusal::NotDirector`].
    pub fn may_direct(&self, principal: &Principal) -> Result<(), Refusal> {
        access::may_direct(principal, self.director.as_deref())
    }

    /// Whether `principal` may report the result of `match_id`: the director, or an
    /// entrant of the match where self-reporting is allowed.
    ///
    /// # Errors
    /// [`Refusal::NoSelfReporting`]; [`Refusal::NotInMatch`] (also for a match the
    /// tournament does not have).
    pub fn may_report(&self, principal: &Principal, match_id: &MatchId) -> Result<(), Refusal> {
        let sides = self.sides(match_id);
        access::may_report(
            principal,
            self.director.as_deref(),
            self.self_reporting,
            sides.iter().flatten().map(ParticipantId::as_str),
        )
    }

    /// Whether `principal` may write `result` for `match_id`: as [`Tournament::may_report`],
    /// except that a double forfeit (an abandoned match) is the director's alone.
    ///
    /// # Errors
    /// [`Refusal::NotDirector`] for a double forfeit; otherwise as
    /// [`Tournament::may_report`].
    pub fn may_record(
        &self,
        principal: &Principal,
        match_id: &MatchId,
        result: &MatchResult,
    ) -> Result<(), Refusal> {
        if matches!(result, MatchResult::DoubleForfeit {}) {
            return self.may_direct(principal);
        }
        self.may_report(principal, match_id)
    }

    /// Whether `principal` may register `team`: one of its members, the director or an
    /// administrator.
    ///
    /// # Errors
    /// [`Refusal::NotTeamMember`].
    pub fn may_register_team(&self, principal: &Principal, team: &Team) -> Result<(), Refusal> {
        access::may_act_for_team(principal, self.director.as_deref(), &team.members)
    }

    /// Whether `principal` may unregister the team `team`: one of its members, the director
    /// or an administrator (for a team the tournament does not have, only the last two; the
    /// service then answers that it is unknown).
    ///
    /// # Errors
    /// [`Refusal::NotTeamMember`].
    pub fn may_unregister_team(
        &self,
        principal: &Principal,
        team: &ParticipantId,
    ) -> Result<(), Refusal> {
        let members = self.team(team).map_or(&[][..], |t| t.members.as_slice());
        access::may_act_for_team(principal, self.director.as_deref(), members)
    }

    /// The principal subjects entry `entry` stands for: a team's members, else the entry's
    /// own id (who registers themselves enters under their user id).
    pub fn subjects_of<'a>(&'a self, entry: &'a ParticipantId) -> Vec<&'a str> {
        match self.team(entry) {
            Some(team) => team.members.iter().map(String::as_str).collect(),
            None => vec![entry.as_str()],
        }
    }

    /// The entry `subject` plays in: the team they are a member of, else the entry with
    /// their id.
    pub fn entry_of(&self, subject: &str) -> Option<&ParticipantId> {
        if let Some(team) = self.teams.iter().find(|t| t.has_member(subject)) {
            return Some(&team.id);
        }
        self.entries
            .iter()
            .find(|p| p.id.as_str() == subject)
            .map(|p| &p.id)
    }

    /// Whether `subject` follows it.
    pub fn is_followed_by(&self, subject: &str) -> bool {
        self.followers
            .binary_search_by(|f| f.as_str().cmp(subject))
            .is_ok()
    }

    /// The team with id `id`.
    pub fn team(&self, id: &ParticipantId) -> Option<&Team> {
        self.teams.iter().find(|t| t.id == *id)
    }

    /// The bracket, once a bracket format has started.
    pub fn bracket(&self) -> Option<&Bracket> {
        match &self.play {
            Some(Play::Bracket(bracket)) => Some(bracket),
            _ => None,
        }
    }

    /// The rounds of a Swiss, once it has started.
    pub fn swiss(&self) -> Option<&SwissPlay> {
        match &self.play {
            Some(Play::Swiss(play)) => Some(play),
            _ => None,
        }
    }

    /// The bracket, mutably.
    pub fn bracket_mut(&mut self) -> Option<&mut Bracket> {
        match &mut self.play {
            Some(Play::Bracket(bracket)) => Some(bracket),
            _ => None,
        }
    }

    /// The two sides of a match of the bracket or the Swiss (`None` for an empty slot or a
    /// bye); both `None` when there is no such match.
    pub fn sides(&self, match_id: &MatchId) -> [Option<ParticipantId>; 2] {
        match &self.play {
            Some(Play::Swiss(play)) => play
                .round(match_id.round())
                .and_then(|r| r.games.iter().find(|g| &g.id == match_id))
                .map_or([None, None], |g| g.sides()),
            Some(Play::Bracket(bracket)) => {
                bracket.match_by_id(match_id).map_or([None, None], |m| {
                    [m.participant(0).cloned(), m.participant(1).cloned()]
                })
            }
            None => [None, None],
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::bracket::Format;

    fn tournament(rules: serde_json::Value) -> Tournament {
        let entries = (1..=4)
            .map(|i| Participant::new(format!("p{i}"), format!("P{i}")).unwrap())
            .collect();
        Tournament {
            id: TournamentId::new("t").unwrap(),
            name: "Open".into(),
            rules: serde_json::from_value(rules).unwrap(),
            state: TournamentState::Draft,
            entries,
            play: None,
            round: 0,
            director: None,
            self_reporting: false,
            auto_advance: false,
            finished_at: None,
            starts_at: None,
            started_at: None,
            withdrawals_close_at_start: false,
            teams: Vec::new(),
            followers: Vec::new(),
            reminded_at: None,
            board: None,
            board_games: BTreeMap::new(),
            board_moves: BTreeMap::new(),
        }
    }

    fn round_trip(t: &Tournament) -> serde_json::Value {
        let json = serde_json::to_value(t).unwrap();
        assert_eq!(
            &serde_json::from_value::<Tournament>(json.clone()).unwrap(),
            t
        );
        json
    }

    #[test]
    fn the_document_keeps_its_shape_before_the_start() {
        let t = tournament(serde_json::json!({"options": {"format": "single_elimination"}}));
        let text = serde_json::to_string(&t).unwrap();
        assert!(
            text.contains(r#""entries":[{"id":"p1","name":"P1"}"#),
            "{text}"
        );
        assert!(
            text.ends_with(
                r#""bracket":null,"round":0,"self_reporting":false,"auto_advance":false}"#
            ),
            "{text}"
        );
        round_trip(&t);
    }

    #[test]
    fn a_bracket_is_stored_under_bracket_and_a_swiss_under_swiss() {
        let mut t = tournament(serde_json::json!({"options": {"format": "single_elimination"}}));
        let bracket = crate::draw(
            &t.entries,
            &BracketOptions::new(Format::SingleElimination),
            1,
        )
        .unwrap();
        t.play = Some(Play::Bracket(bracket.clone()));
        let json = round_trip(&t);
        assert_eq!(json["bracket"], serde_json::to_value(&bracket).unwrap());
        assert!(json.get("swiss").is_none());
        assert_eq!(t.bracket(), Some(&bracket));
        assert!(t.swiss().is_none());

        let mut t = tournament(serde_json::json!({"swiss": {"rounds": 3}}));
        let mut play = SwissPlay::new(&t.entries);
        play.pair_next(&t.entries, t.rules.swiss.as_ref().unwrap())
            .unwrap();
        t.play = Some(Play::Swiss(play.clone()));
        t.round = 1;
        let json = round_trip(&t);
        assert_eq!(json["bracket"], serde_json::Value::Null);
        assert_eq!(json["swiss"], serde_json::to_value(&play).unwrap());
        assert_eq!(t.swiss(), Some(&play));
        assert!(t.bracket().is_none());
        let first = play.round(1).unwrap().games[0].clone();
        assert_eq!(t.sides(&first.id), first.sides());
    }

    #[test]
    fn a_document_with_both_a_bracket_and_a_swiss_is_refused() {
        let mut t = tournament(serde_json::json!({"swiss": {"rounds": 3}}));
        let mut play = SwissPlay::new(&t.entries);
        play.pair_next(&t.entries, t.rules.swiss.as_ref().unwrap())
            .unwrap();
        t.play = Some(Play::Swiss(play));
        let mut json = serde_json::to_value(&t).unwrap();
        let bracket = crate::draw(
            &t.entries,
            &BracketOptions::new(Format::SingleElimination),
            1,
        )
        .unwrap();
        json["bracket"] = serde_json::to_value(&bracket).unwrap();
        let error = serde_json::from_value::<Tournament>(json).unwrap_err();
        assert!(error.to_string().contains("not both"), "{error}");
    }

    #[test]
    fn an_unknown_field_is_refused() {
        let t = tournament(serde_json::json!({"swiss": {"rounds": 3}}));
        let mut json = serde_json::to_value(&t).unwrap();
        json["plays"] = serde_json::Value::Null;
        assert!(serde_json::from_value::<Tournament>(json).is_err());
    }
}
