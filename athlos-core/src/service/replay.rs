//! Replay: a tournament's event log played again, command by command, into a fresh aggregate
//! on a store of its own, as a check that the log reproduces the state.
//!
//! The log holds what play did (the start and its pairings, each result and correction, each
//! advance with the next round's pairings, the end) but not registration: the fresh
//! aggregate starts from the stored tournament's settings and entries, in registration, with
//! no play. Each commit of the log (its events share the aggregate version they produced) is
//! read as the command that made it — a start, a result, a correction, an advance, an
//! archive — and that command is run on the fresh aggregate at the logged time; the events it
//! commits must equal the logged ones (the pairings of every round, made again by the
//! engine, included). At the end, the fresh aggregate's state, round and play (brackets or
//! Swiss rounds and results) must equal the stored ones. A change that logs no event (a
//! withdrawal during play, a board game's moves) cannot be replayed, and shows as a final
//! state that differs.

use crate::clock::{Clock, ManualClock};
use crate::error::Error;
use crate::event::{EventData, MatchOwner};
use crate::id::TournamentId;
use crate::lifecycle::TournamentState;
use crate::store::{AggregateRef, Commit, MemoryStore, SnapshotEntry, SnapshotIndex, Store, Write};
use crate::tournament::Tournament;

use super::results::ResultWrite;
use super::Service;

/// The run kind that replays a tournament's log (target `tournament:<id>`).
pub const REPLAY: &str = "replay";

/// Events read from the log per page.
const PAGE: usize = 1000;

/// What a replay found: the log reproduces the state, or where it stopped doing so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// The tournament version replayed (the state compared).
    pub version: u64,
    /// The commits of the log replayed.
    pub commits: usize,
    /// The events they logged.
    pub events: usize,
    /// Where the replay parted from the log or the state, if it did.
    pub divergence: Option<String>,
    /// What the replay read: the tournament at `version`.
    pub index: SnapshotIndex,
}

/// One commit of the log: the events that produced one aggregate version.
struct Logged {
    version: u64,
    sequence: u64,
    data: Vec<EventData>,
    at: chrono::DateTime<chrono::Utc>,
}

impl<S: Store, C: Clock> Service<S, C> {
    /// Replays tournament `id`'s log into a fresh aggregate (see the module's documentation)
    /// and compares. A tournament that has not started has nothing to replay.
    ///
    /// # Errors
    /// [`ServiceError::UnknownTournament`](super::ServiceError::UnknownTournament); the
    /// store's failure. A log that does not reproduce the state is not an error: it is the
    /// [`Replay::divergence`].
    pub async fn replay_tournament(&self, id: &TournamentId) -> Result<Replay, Error> {
        let stored = self.tournament(id).await?;
        let aggregate = AggregateRef::Tournament(id.clone());
        let commits = self.logged(&aggregate, stored.version).await?;
        let mut replay = Replay {
            version: stored.version,
            commits: 0,
            events: 0,
            divergence: None,
            index: SnapshotIndex {
                read: vec![SnapshotEntry::Aggregate {
                    aggregate,
                    version: stored.version,
                }],
                wrote: Vec::new(),
            },
        };
        // Play begins with the commit that starts the tournament.
        let Some(start) = commits.iter().position(|c| c.data.iter().any(starts)) else {
            return Ok(replay);
        };
        let clock = ManualClock::new(commits[start].at);
        let fresh = Service::new(MemoryStore::new(), clock);
        let mut initial: Tournament = stored.value.clone();
        initial.state = TournamentState::Registration;
        initial.play = None;
        initial.round = 0;
        initial.finished_at = None;
        initial.started_at = None;
        initial.board_games.clear();
        initial.board_moves.clear();
        fresh
            .store()
            .commit(Commit {
                writes: vec![Write::Tournament {
                    value: initial,
                    expected: None,
                }],
                ..Commit::default()
            })
            .await?;
        for commit in &commits[start..] {
            fresh.clock().set(commit.at);
            let made = match replay_command(&fresh, id, commit).await {
                Ok(made) => made,
                Err(error) => {
                    replay.divergence = Some(format!(
                        "the commit of version {} (event {}) cannot be replayed: {error}",
                        commit.version, commit.sequence
                    ));
                    return Ok(replay);
                }
            };
            if made != commit.data {
                replay.divergence = Some(format!(
                    "the commit of version {} (event {}) logged {} but the replay gives {}",
                    commit.version,
                    commit.sequence,
                    described(&commit.data),
                    described(&made)
                ));
                return Ok(replay);
            }
            replay.commits += 1;
            replay.events += commit.data.len();
        }
        let replayed = fresh.tournament(id).await?.value;
        let stored = stored.value;
        let differs = [
            (replayed.state != stored.state, "state"),
            (replayed.round != stored.round, "round"),
            (
                replayed.play != stored.play,
                "play (rounds, pairings and results)",
            ),
        ];
        let differs: Vec<&str> = differs
            .iter()
            .filter(|(differs, _)| *differs)
            .map(|(_, what)| *what)
            .collect();
        if !differs.is_empty() {
            replay.divergence = Some(format!(
                "the log replays without a difference but the stored tournament's {} differs \
                 (a change that logged no event, such as a withdrawal during play)",
                differs.join(", ")
            ));
        }
        Ok(replay)
    }

    /// The commits of `aggregate` in the log up to `version`, oldest first.
    async fn logged(&self, aggregate: &AggregateRef, version: u64) -> Result<Vec<Logged>, Error> {
        let mut commits: Vec<Logged> = Vec::new();
        let mut after = 0;
        loop {
            let page = self.store().events_after(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.sequence;
            for logged in page {
                if logged.aggregate != *aggregate || logged.event.version > version {
                    continue;
                }
                match commits.last_mut() {
                    Some(commit) if commit.version == logged.event.version => {
                        commit.data.push(logged.event.data);
                    }
                    _ => commits.push(Logged {
                        version: logged.event.version,
                        sequence: logged.sequence,
                        data: vec![logged.event.data],
                        at: logged.event.timestamp,
                    }),
                }
            }
        }
        Ok(commits)
    }
}

/// Whether `data` starts play.
fn starts(data: &EventData) -> bool {
    matches!(
        data,
        EventData::TournamentStateChanged {
            from: TournamentState::Registration,
            to: TournamentState::Active,
            ..
        }
    )
}

/// Runs on `fresh` the command that made `commit`; returns the events it logged.
async fn replay_command(
    fresh: &Service<MemoryStore, ManualClock>,
    id: &TournamentId,
    commit: &Logged,
) -> Result<Vec<EventData>, Error> {
    let ours = |owner: &MatchOwner| matches!(owner, MatchOwner::Tournament(t) if t == id);
    let change = match commit.data.first() {
        Some(data) if starts(data) => fresh.start(id).await?,
        Some(EventData::MatchResult {
            owner,
            match_id,
            result,
            ..
        }) if ours(owner) => fresh.record_result(id, *match_id, result.clone()).await?,
        Some(EventData::MatchCorrected {
            owner,
            match_id,
            result,
            ..
        }) if ours(owner) => {
            fresh
                .write_result(id, *match_id, result.clone(), ResultWrite::correction())
                .await?
        }
        Some(
            EventData::RoundFinished { .. }
            | EventData::RoundStarted { .. }
            | EventData::TournamentFinished { .. },
        ) => fresh.advance(id).await?,
        Some(EventData::TournamentStateChanged {
            to: TournamentState::Archived,
            ..
        }) => fresh.archive(id).await?,
        // What happens beside play (a board game's id, followers, reminders) is not
        // replayed: it changes no round, pairing or result.
        Some(
            EventData::BoardGameCreated { .. }
            | EventData::TournamentFollowed { .. }
            | EventData::TournamentUnfollowed { .. }
            | EventData::TournamentStarting { .. },
        ) => return Ok(commit.data.clone()),
        other => {
            let kind = other.map_or("nothing".to_owned(), |d| d.event_type().to_string());
            return Err(super::ServiceError::Document {
                reason: format!("a commit beginning with {kind} is not a command replay knows"),
            }
            .into());
        }
    };
    Ok(change.events.into_iter().map(|event| event.data).collect())
}

/// `data`'s event types, comma-separated.
fn described(data: &[EventData]) -> String {
    let names: Vec<String> = data.iter().map(|d| d.event_type().to_string()).collect();
    format!("[{}]", names.join(", "))
}
