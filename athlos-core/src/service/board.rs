//! Games played on a board service (a chess server for bots): which games to create, the
//! recording of a created game, how a game's end maps to a result, and the arbiter's rule for
//! a game that cannot be created or never ends.
//!
//! Exactly once, across crashes: the commit that pairs a round of a tournament with a board
//! also enqueues one [`CREATE_BOARD_GAME`] job a game (outbox: both land or neither), keyed
//! [`board_game_key`] so no replay enqueues it twice. The adapter running the job asks the
//! board service with the same key (so a retried request answers the same game), then calls
//! [`Service::record_board_game`], which stores the game id on the tournament, logs
//! `board.game_created`, completes the job and enqueues the game's
//! [`BOARD_GAME_DEADLINE`] job in one commit; a second recording of the same match changes
//! nothing.
//!
//! The arbiter's rule: a game the board service still refuses after [`BOARD_CREATE_ATTEMPTS`]
//! attempts, or that has no result when its deadline ([`game_deadline`]) passes, is a double
//! forfeit (`match.result` with `double_forfeit`: both sides lose, 0 points each), through
//! [`Service::forfeit_board_game`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::access::Principal;
use crate::bracket::{MatchId, MatchResult, MatchStatus};
use crate::chess::{self, Ending, Game, Side};
use crate::clock::Clock;
use crate::error::Error;
use crate::event::{EventData, Pairing};
use crate::id::TournamentId;
use crate::model::ParticipantId;
use crate::store::{AggregateRef, Commit, Job, NewJob, Store, Stored, Write};
use crate::tournament::{BoardGames, Play, Tournament};

use super::{next_version, Service, ServiceError, TournamentChange};

/// The job kind that creates a game on the board service.
pub const CREATE_BOARD_GAME: &str = "board_create_game";

/// The job kind that forfeits a board game still without a result at its deadline.
pub const BOARD_GAME_DEADLINE: &str = "board_game_deadline";

/// Attempts at creating a game on the board service before the arbiter forfeits it.
pub const BOARD_CREATE_ATTEMPTS: u32 = 3;

/// Slack added to a game's longest clock-derived duration before its deadline, seconds.
pub const DEADLINE_SLACK_SECS: i64 = 120;

/// The payload of both board jobs: which game, and who plays it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardJob {
    /// The tournament.
    pub tournament: TournamentId,
    /// The match.
    #[serde(rename = "match")]
    pub match_id: MatchId,
    /// The round it is played in.
    pub round: u32,
    /// White (the match's first side).
    pub white: ParticipantId,
    /// Black (the match's second side).
    pub black: ParticipantId,
}

impl BoardJob {
    /// The payload of `job`, if it is one.
    pub fn of(job: &Job) -> Option<Self> {
        serde_json::from_value(job.payload.clone()).ok()
    }
}

/// How a game on the board service ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BoardWinner {
    /// White won.
    White,
    /// Black won.
    Black,
    /// A draw.
    Draw,
}

/// The idempotency key of the game of `match_id` (its creation job's key, and the key the
/// board service is asked with).
pub fn board_game_key(tournament: &TournamentId, match_id: &MatchId) -> String {
    format!("board_game:{tournament}:{match_id}")
}

/// How long a game may take before the arbiter forfeits it: twice the longest a game with
/// this clock lasts by the usual estimate (the limit plus 60 increments, a side), plus
/// [`DEADLINE_SLACK_SECS`].
pub fn game_deadline(board: &BoardGames) -> chrono::Duration {
    let per_side = i64::from(board.clock_limit) + 60 * i64::from(board.clock_increment);
    chrono::Duration::seconds(2 * 2 * per_side + DEADLINE_SLACK_SECS)
}

/// The creation jobs of the games paired in `data` for `tournament` (none without a board):
/// one a pairing with two sides, byes left out.
pub fn board_jobs(tournament: &Tournament, data: &[EventData], now: DateTime<Utc>) -> Vec<NewJob> {
    if tournament.board.is_none() {
        return Vec::new();
    }
    data.iter()
        .filter_map(|d| match d {
            EventData::PairingReady {
                tournament: id,
                round,
                pairings,
            } => Some(
                pairings
                    .iter()
                    .filter_map(move |p| creation(id, *round, p, now)),
            ),
            _ => None,
        })
        .flatten()
        .collect()
}

fn creation(
    id: &TournamentId,
    round: u32,
    pairing: &Pairing,
    now: DateTime<Utc>,
) -> Option<NewJob> {
    let [Some(white), Some(black)] = pairing.sides.clone() else {
        return None;
    };
    let payload = BoardJob {
        tournament: id.clone(),
        match_id: pairing.match_id,
        round,
        white,
        black,
    };
    let payload = serde_json::to_value(payload).ok()?;
    Some(
        NewJob::new(CREATE_BOARD_GAME, payload, now)
            .with_key(board_game_key(id, &pairing.match_id))
            .with_max_attempts(BOARD_CREATE_ATTEMPTS),
    )
}

/// The result of `match_id` of `tournament` when its board game ended with `winner`: White is
/// the match's first side.
///
/// # Errors
/// [`ServiceError::Document`] when the match has no two sides.
pub fn board_result(
    tournament: &Tournament,
    match_id: &MatchId,
    winner: BoardWinner,
) -> Result<MatchResult, ServiceError> {
    let [Some(white), Some(black)] = tournament.sides(match_id) else {
        return Err(ServiceError::Document {
            reason: format!("match {match_id} has no two players"),
        });
    };
    Ok(match winner {
        BoardWinner::White => MatchResult::win(white),
        BoardWinner::Black => MatchResult::win(black),
        BoardWinner::Draw => MatchResult::Draw { score: None },
    })
}

/// Whether `match_id` of `tournament` still waits for its result in the current round (the
/// arbiter forfeits only such a game).
pub fn awaits_result(tournament: &Tournament, match_id: &MatchId) -> bool {
    if match_id.round() != tournament.round || tournament.finished_at.is_some() {
        return false;
    }
    match &tournament.play {
        Some(Play::Swiss(play)) => play
            .round(match_id.round())
            .and_then(|r| r.games.iter().find(|g| &g.id == match_id))
            .is_some_and(|g| g.status() == MatchStatus::Ready),
        Some(Play::Bracket(bracket)) => bracket
            .match_by_id(match_id)
            .is_some_and(|m| m.status == MatchStatus::Ready),
        None => false,
    }
}

/// Whether `principal` may read the bot stream of `tournament`: an entrant (its subject is
/// the id of a registered entry: a bot) or who may direct it.
pub fn may_follow_games(tournament: &Tournament, principal: &Principal) -> bool {
    tournament.may_direct(principal).is_ok()
        || tournament
            .entries
            .iter()
            .any(|e| e.id.as_str() == principal.subject())
}

impl<S: Store, C: Clock> Service<S, C> {
    /// Records that the game of `job` (a [`CREATE_BOARD_GAME`] job leased to a worker) exists
    /// on the board service as `game_id`: stores it on the tournament, logs
    /// `board.game_created`, completes the job and enqueues the game's deadline job, in one
    /// commit. A match whose game is already recorded changes nothing (no events).
    ///
    /// # Errors
    /// [`ServiceError::Document`] for a job of another shape; the tournament's errors; a
    /// conflict or a lost lease.
    pub async fn record_board_game(
        &self,
        job: &Job,
        game_id: String,
    ) -> Result<TournamentChange, Error> {
        let malformed = |reason: &str| ServiceError::Document {
            reason: format!("job {}: {reason}", job.id),
        };
        let target = BoardJob::of(job).ok_or_else(|| malformed("not a board game job"))?;
        let Stored { version, mut value } = self.tournament(&target.tournament).await?;
        if value.board_games.contains_key(&target.match_id) {
            return Ok(TournamentChange {
                tournament: Stored { version, value },
                events: Vec::new(),
            });
        }
        let board = value
            .board
            .ok_or_else(|| malformed("the tournament plays no board games"))?;
        value.board_games.insert(target.match_id, game_id.clone());
        let now = self.clock().now();
        let deadline = NewJob::new(
            BOARD_GAME_DEADLINE,
            job.payload.clone(),
            now + game_deadline(&board),
        )
        .with_key(format!(
            "board_deadline:{}:{}",
            target.tournament, target.match_id
        ));
        let next = next_version(version);
        let aggregate = AggregateRef::Tournament(target.tournament.clone());
        let commit = Commit {
            writes: vec![Write::Tournament {
                value: value.clone(),
                expected: Some(version),
            }],
            jobs: vec![deadline],
            completed_jobs: job
                .worker
                .clone()
                .map(|worker| (job.id, worker))
                .into_iter()
                .collect(),
            ..Commit::default()
        };
        let data = vec![EventData::BoardGameCreated {
            tournament: target.tournament,
            match_id: target.match_id,
            round: target.round,
            game_id,
            players: [target.white, target.black],
        }];
        let events = self
            .commit_with_events(commit, &aggregate, next, now, data)
            .await?;
        Ok(TournamentChange {
            tournament: Stored {
                version: next,
                value,
            },
            events,
        })
    }

    /// The arbiter's rule for a board game that could not be created or did not end in
    /// time: a double forfeit, when the match still waits for its result; else nothing
    /// changes (no events).
    ///
    /// # Errors
    /// As [`Service::abandon_match`].
    pub async fn forfeit_board_game(
        &self,
        id: &TournamentId,
        match_id: MatchId,
    ) -> Result<TournamentChange, Error> {
        let found = self.tournament(id).await?;
        if !awaits_result(&found.value, &match_id) {
            return Ok(TournamentChange {
                tournament: found,
                events: Vec::new(),
            });
        }
        self.abandon_match(id, match_id).await
    }
}

/// The most moves a board game's record keeps.
pub const MAX_BOARD_MOVES: usize = chess::MAX_PLIES;

/// The moves of the board game of `match_id` replayed from the initial position
/// ([`chess::replay`]).
///
/// # Errors
/// [`ServiceError::IllegalGame`] naming the first move that is not UCI, not legal where it is
/// played or played after the end, or saying there are more than [`MAX_BOARD_MOVES`].
pub fn board_game(match_id: MatchId, moves: &str) -> Result<Game, ServiceError> {
    chess::replay(moves).map_err(|error| ServiceError::IllegalGame { match_id, error })
}

/// Checks `result` of `match_id` of `tournament` against how its `game` ended on the board:
/// a checkmate must be a win for the side that gave it (White is the match's first side), a
/// stalemate a draw; a game that did not end on the board (a resignation, a flag, an agreed
/// draw …) takes any result.
///
/// # Errors
/// [`ServiceError::ResultAgainstBoard`] when they disagree.
pub fn check_board_ending(
    tournament: &Tournament,
    match_id: &MatchId,
    result: &MatchResult,
    game: &Game,
) -> Result<(), ServiceError> {
    let Some(ending) = game.ending else {
        return Ok(());
    };
    let (agrees, expected) = match ending {
        Ending::Stalemate => (
            matches!(result, MatchResult::Draw { .. }),
            "a draw".to_owned(),
        ),
        Ending::Checkmate { winner } => {
            let [white, black] = tournament.sides(match_id);
            let mated_by = match winner {
                Side::White => white,
                Side::Black => black,
            };
            (
                matches!(result, MatchResult::Win { .. })
                    && mated_by.is_some()
                    && result.winner() == mated_by.as_ref(),
                format!("a win for {winner}"),
            )
        }
    };
    if agrees {
        Ok(())
    } else {
        Err(ServiceError::ResultAgainstBoard {
            match_id: *match_id,
            ending,
            expected,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_is_twice_the_clock_with_sixty_increments_and_slack() {
        let board = BoardGames {
            clock_limit: 300,
            clock_increment: 2,
            rated: false,
        };
        // Two sides of 300 + 120 s, doubled, plus the slack.
        assert_eq!(game_deadline(&board).num_seconds(), 4 * 420 + 120);
    }

    #[test]
    fn a_bye_gets_no_game_and_the_key_names_tournament_and_match() {
        let id = TournamentId::new("t1").unwrap();
        let game: MatchId = "MAIN-R1-M1".parse().unwrap();
        let a = ParticipantId::new("a").unwrap();
        let now = DateTime::<Utc>::from_timestamp(0, 0).unwrap();
        let bye = Pairing {
            match_id: game,
            sides: [Some(a.clone()), None],
        };
        assert!(creation(&id, 1, &bye, now).is_none());
        let paired = Pairing {
            match_id: game,
            sides: [Some(a.clone()), Some(ParticipantId::new("b").unwrap())],
        };
        let job = creation(&id, 1, &paired, now).unwrap();
        assert_eq!(
            job.idempotency_key.as_deref(),
            Some("board_game:t1:MAIN-R1-M1")
        );
        assert_eq!(job.max_attempts, BOARD_CREATE_ATTEMPTS);
        let back: BoardJob = serde_json::from_value(job.payload).unwrap();
        assert_eq!(back.white, a);
    }

    #[test]
    fn entrants_and_the_director_follow_the_games_and_no_one_else() {
        let t: Tournament = serde_json::from_value(serde_json::json!({
            "id": "t1", "name": "T", "rules": {"swiss": {"rounds": 3}},
            "state": "registration", "entries": [{"id": "bot1", "name": "Bot"}],
            "bracket": null, "round": 0, "director": "dir"
        }))
        .unwrap();
        let entrant = "bot1".to_owned();
        assert!(may_follow_games(&t, &Principal::new(entrant, false)));
        assert!(may_follow_games(
            &t,
            &Principal::new("dir".to_owned(), false)
        ));
        assert!(!may_follow_games(
            &t,
            &Principal::new("stranger".to_owned(), false)
        ));
    }
}
