//! Finding tournaments: the filters a list of tournaments offers (state, format, text), decided
//! here so that every list (the web pages, the API) shows the same ones.

use crate::leaderboard::PlayFormat;
use crate::lifecycle::TournamentState;
use crate::tournament::Tournament;

/// Which tournaments a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TournamentFilter {
    /// Only tournaments in this state.
    pub state: Option<TournamentState>,
    /// Only tournaments played in this format.
    pub format: Option<PlayFormat>,
    /// Only tournaments whose name or id contains this text, ignoring case (surrounding
    /// blanks ignored; empty text filters nothing).
    pub text: Option<String>,
}

impl TournamentFilter {
    /// Whether `tournament` passes every filter given.
    pub fn matches(&self, tournament: &Tournament) -> bool {
        self.state.is_none_or(|state| tournament.state == state)
            && self
                .format
                .is_none_or(|format| PlayFormat::of(tournament) == format)
            && self.text.as_deref().map(str::trim).is_none_or(|text| {
                let text = text.to_lowercase();
                tournament.name.to_lowercase().contains(&text)
                    || tournament.id.as_str().to_lowercase().contains(&text)
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::bracket::Format;
    use crate::id::TournamentId;

    fn tournament(id: &str, name: &str, state: TournamentState, swiss: bool) -> Tournament {
        let rules = if swiss {
            serde_json::json!({"swiss": {"rounds": 5}})
        } else {
            serde_json::json!({"options": {"format": "round_robin"}})
        };
        Tournament {
            id: TournamentId::new(id).unwrap(),
            name: name.to_owned(),
            rules: serde_json::from_value(rules).unwrap(),
            state,
            entries: Vec::new(),
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
            board_games: Default::default(),
            board_moves: Default::default(),
        }
    }

    #[test]
    fn every_filter_given_must_pass() {
        let spring = tournament("spring-open", "Spring Open", TournamentState::Active, false);
        let blitz = tournament("blitz", "Friday Blitz", TournamentState::Draft, true);
        let everything = TournamentFilter::default();
        assert!(everything.matches(&spring) && everything.matches(&blitz));

        let active = TournamentFilter {
            state: Some(TournamentState::Active),
            ..TournamentFilter::default()
        };
        assert!(active.matches(&spring) && !active.matches(&blitz));

        let swiss = TournamentFilter {
            format: Some(PlayFormat::Swiss),
            ..TournamentFilter::default()
        };
        assert!(!swiss.matches(&spring) && swiss.matches(&blitz));
        let round_robin = TournamentFilter {
            format: Some(PlayFormat::Bracket(Format::RoundRobin)),
            ..TournamentFilter::default()
        };
        assert!(round_robin.matches(&spring) && !round_robin.matches(&blitz));

        let text = |t: &str| TournamentFilter {
            text: Some(t.to_owned()),
            ..TournamentFilter::default()
        };
        // Name or id, any case, blanks around ignored.
        assert!(text(" OPEN ").matches(&spring));
        assert!(text("spring-o").matches(&spring));
        assert!(!text("open").matches(&blitz));
        assert!(text("").matches(&blitz));

        let both = TournamentFilter {
            state: Some(TournamentState::Draft),
            format: Some(PlayFormat::Swiss),
            text: Some("friday".to_owned()),
        };
        assert!(both.matches(&blitz) && !both.matches(&spring));
    }
}
