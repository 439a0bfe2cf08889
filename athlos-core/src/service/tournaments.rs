//! Tournaments: publish, join and withdraw, start, results, advance, standings, archive.

use crate::bracket::{Bracket, Format, Match, MatchId, MatchResult, MatchStatus, Part, Placement};
use crate::clock::Clock;
use crate::error::{Error, ServiceError};
use crate::event::{Event, EventData, EventType, MatchOwner, Pairing};
use crate::id::TournamentId;
use crate::lifecycle::{
    Lifecycle, TournamentAction, TournamentContext, TournamentLifecycle, TournamentState,
    Transition,
};
use crate::model::{Participant, ParticipantId};
use crate::store::{AggregateRef, Commit, Store, Stored, Tournament, TournamentRules, Write};

use super::{emitted, next_version, Service};

impl<S: Store, C: Clock> Service<S, C> {
    /// Creates a tournament in `draft`.
    ///
    /// # Errors
    /// [`ServiceError::UnsupportedFormat`] unless single elimination or round robin; a
    /// conflict if the id is taken.
    pub async fn create_tournament(
        &self,
        id: TournamentId,
        name: impl Into<String>,
        rules: TournamentRules,
    ) -> Result<Stored<Tournament>, Error> {
        supported(rules.options.format)?;
        let value = Tournament {
            id,
            name: name.into(),
            rules,
            state: TournamentState::Draft,
            entries: Vec::new(),
            bracket: None,
            round: 0,
        };
        let commit = Commit {
            writes: vec![Write::Tournament {
                value: value.clone(),
                expected: None,
            }],
            ..Commit::default()
        };
        self.store().commit(commit).await?;
        Ok(Stored { version: 1, value })
    }

    /// A tournament.
    ///
    /// # Errors
    /// [`ServiceError::UnknownTournament`].
    pub async fn tournament(&self, id: &TournamentId) -> Result<Stored<Tournament>, Error> {
        Ok(self
            .store()
            .tournament(id)
            .await?
            .ok_or_else(|| ServiceError::UnknownTournament { id: id.to_string() })?)
    }

    /// Opens registration.
    ///
    /// # Errors
    /// [`LifecycleError`](crate::error::LifecycleError) unless in `draft`; a conflict.
    pub async fn publish(&self, id: &TournamentId) -> Result<TournamentChange, Error> {
        self.simple_transition(id, TournamentAction::Publish).await
    }

    /// Cancels a tournament that has not started.
    ///
    /// # Errors
    /// [`LifecycleError`](crate::error::LifecycleError) once started; a conflict.
    pub async fn cancel(&self, id: &TournamentId) -> Result<TournamentChange, Error> {
        self.simple_transition(id, TournamentAction::Cancel).await
    }

    /// Archives a completed or cancelled tournament.
    ///
    /// # Errors
    /// [`LifecycleError`](crate::error::LifecycleError) otherwise; a conflict.
    pub async fn archive(&self, id: &TournamentId) -> Result<TournamentChange, Error> {
        self.simple_transition(id, TournamentAction::Archive).await
    }

    /// Registers an entry.
    ///
    /// # Errors
    /// [`LifecycleError`](crate::error::LifecycleError) outside registration or when full;
    /// [`ServiceError::AlreadyEntered`]; a conflict.
    pub async fn join(
        &self,
        id: &TournamentId,
        participant: Participant,
    ) -> Result<TournamentChange, Error> {
        let Stored { version, mut value } = self.tournament(id).await?;
        let step =
            TournamentLifecycle::apply(value.state, TournamentAction::Join, &context(&value))?;
        if value.entries.iter().any(|p| p.id == participant.id) {
            return Err(ServiceError::AlreadyEntered {
                tournament: id.to_string(),
                participant: participant.id,
            }
            .into());
        }
        value.entries.push(participant);
        self.finish(value, version, &step, |_| None).await
    }

    /// Withdraws an entry: removed during registration; once active, its remaining matches
    /// become walkovers for its opponents.
    ///
    /// # Errors
    /// [`LifecycleError`](crate::error::LifecycleError) outside registration and play;
    /// [`ServiceError::NotEntered`]; the bracket's error; a conflict.
    pub async fn withdraw(
        &self,
        id: &TournamentId,
        participant: &ParticipantId,
    ) -> Result<TournamentChange, Error> {
        let Stored { version, mut value } = self.tournament(id).await?;
        let step =
            TournamentLifecycle::apply(value.state, TournamentAction::Withdraw, &context(&value))?;
        let not_entered = || ServiceError::NotEntered {
            tournament: id.to_string(),
            participant: participant.clone(),
        };
        match value.bracket.as_mut() {
            Some(bracket) => bracket.withdraw(participant)?,
            None => {
                let index = value
                    .entries
                    .iter()
                    .position(|p| p.id == *participant)
                    .ok_or_else(not_entered)?;
                value.entries.remove(index);
            }
        }
        self.finish(value, version, &step, |_| None).await
    }

    /// Starts the tournament: draws the bracket and opens round 1.
    ///
    /// # Errors
    /// [`LifecycleError`](crate::error::LifecycleError) outside registration or below the
    /// minimum entries; the draw's error; a conflict.
    pub async fn start(&self, id: &TournamentId) -> Result<TournamentChange, Error> {
        let Stored { version, mut value } = self.tournament(id).await?;
        let step =
            TournamentLifecycle::apply(value.state, TournamentAction::Start, &context(&value))?;
        let bracket = crate::draw(&value.entries, &value.rules.options, value.rules.seed)?;
        supported(bracket.format())?;
        value.bracket = Some(bracket);
        value.round = 1;
        let from = value.state;
        value.state = step.to;
        let pairings = pairings(value.bracket.as_ref(), 1);
        self.finish(value, version, &step, |kind| match kind {
            EventType::TournamentStateChanged => Some(EventData::TournamentStateChanged {
                tournament: id.clone(),
                from,
                to: step.to,
            }),
            EventType::RoundStarted => Some(EventData::RoundStarted {
                tournament: id.clone(),
                round: 1,
            }),
            EventType::PairingReady => Some(EventData::PairingReady {
                tournament: id.clone(),
                round: 1,
                pairings: pairings.clone(),
            }),
            _ => None,
        })
        .await
    }

    /// Records the result of a pending match of the current round.
    ///
    /// # Errors
    /// [`LifecycleError`](crate::error::LifecycleError) unless active with the round in
    /// progress; [`ServiceError::NotInCurrentRound`]; the bracket's error; a conflict.
    pub async fn record_result(
        &self,
        id: &TournamentId,
        match_id: MatchId,
        result: MatchResult,
    ) -> Result<TournamentChange, Error> {
        let Stored { version, mut value } = self.tournament(id).await?;
        let step = TournamentLifecycle::apply(
            value.state,
            TournamentAction::RecordResult,
            &context(&value),
        )?;
        let round = value.round;
        let bracket = bracket_of(&mut value)?;
        let found = bracket
            .match_by_id(&match_id)
            .ok_or(crate::error::BracketError::UnknownMatch { match_id })?;
        let match_round = playing_round(bracket, found);
        if match_round != round || found.status != MatchStatus::Ready {
            return Err(ServiceError::NotInCurrentRound {
                match_id,
                round,
                match_round,
                status: found.status,
            }
            .into());
        }
        bracket.record_result(&match_id, result.clone())?;
        self.finish(value, version, &step, |kind| {
            (kind == EventType::MatchResult).then(|| EventData::MatchResult {
                owner: MatchOwner::Tournament(id.clone()),
                match_id,
                result: result.clone(),
            })
        })
        .await
    }

    /// Closes the current round once every match in it is decided: opens the next round, or
    /// finishes the tournament after the last.
    ///
    /// # Errors
    /// [`LifecycleError`](crate::error::LifecycleError) unless active with the round
    /// complete; a conflict.
    pub async fn advance(&self, id: &TournamentId) -> Result<TournamentChange, Error> {
        let Stored { version, mut value } = self.tournament(id).await?;
        let step =
            TournamentLifecycle::apply(value.state, TournamentAction::Advance, &context(&value))?;
        let finished = value.round;
        let from = value.state;
        let mut placements = Vec::new();
        if step.to == TournamentState::Active {
            value.round = finished.saturating_add(1);
        } else {
            placements = bracket_of(&mut value)?.placements()?;
        }
        value.state = step.to;
        let next = value.round;
        let pairings = pairings(value.bracket.as_ref(), next);
        self.finish(value, version, &step, |kind| match kind {
            EventType::RoundFinished => Some(EventData::RoundFinished {
                tournament: id.clone(),
                round: finished,
            }),
            EventType::RoundStarted => Some(EventData::RoundStarted {
                tournament: id.clone(),
                round: next,
            }),
            EventType::PairingReady => Some(EventData::PairingReady {
                tournament: id.clone(),
                round: next,
                pairings: pairings.clone(),
            }),
            EventType::TournamentFinished => Some(EventData::TournamentFinished {
                tournament: id.clone(),
                placements: placements.clone(),
            }),
            EventType::TournamentStateChanged => Some(EventData::TournamentStateChanged {
                tournament: id.clone(),
                from,
                to: step.to,
            }),
            _ => None,
        })
        .await
    }

    /// Final standings once every match is decided.
    ///
    /// # Errors
    /// [`ServiceError::UnknownTournament`]; the bracket's
    /// [`Incomplete`](crate::error::BracketError::Incomplete) before the end.
    pub async fn standings(&self, id: &TournamentId) -> Result<Vec<Placement>, Error> {
        let Stored { mut value, .. } = self.tournament(id).await?;
        Ok(bracket_of(&mut value)?.placements()?)
    }

    async fn simple_transition(
        &self,
        id: &TournamentId,
        action: TournamentAction,
    ) -> Result<TournamentChange, Error> {
        let Stored { version, mut value } = self.tournament(id).await?;
        let step = TournamentLifecycle::apply(value.state, action, &context(&value))?;
        let from = value.state;
        value.state = step.to;
        self.finish(value, version, &step, |kind| {
            (kind == EventType::TournamentStateChanged).then(|| EventData::TournamentStateChanged {
                tournament: id.clone(),
                from,
                to: step.to,
            })
        })
        .await
    }

    async fn finish(
        &self,
        value: Tournament,
        expected: u64,
        step: &Transition<TournamentState, TournamentAction>,
        build: impl FnMut(EventType) -> Option<EventData>,
    ) -> Result<TournamentChange, Error> {
        let data = emitted(&step.action, step.emits, build)?;
        let version = next_version(expected);
        let aggregate = AggregateRef::Tournament(value.id.clone());
        let commit = Commit {
            writes: vec![Write::Tournament {
                value: value.clone(),
                expected: Some(expected),
            }],
            ..Commit::default()
        };
        let now = self.clock().now();
        let events = self
            .commit_with_events(commit, &aggregate, version, now, data)
            .await?;
        Ok(TournamentChange {
            tournament: Stored { version, value },
            events,
        })
    }
}

/// A committed tournament change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TournamentChange {
    /// The tournament as committed.
    pub tournament: Stored<Tournament>,
    /// The events committed.
    pub events: Vec<Event>,
}

/// The tournament round a match is played in: its bracket round, except the third-place
/// match, which is played with the final.
pub fn playing_round(bracket: &Bracket, m: &Match) -> u32 {
    match m.part {
        Part::ThirdPlace => bracket.rounds(),
        _ => m.round,
    }
}

/// Whether every match of tournament round `round` is decided.
pub fn round_complete(bracket: &Bracket, round: u32) -> bool {
    bracket
        .matches()
        .iter()
        .filter(|m| playing_round(bracket, m) == round)
        .all(|m| m.status.is_decided())
}

fn context(tournament: &Tournament) -> TournamentContext {
    let (round_complete, last_round) = match &tournament.bracket {
        Some(bracket) => (
            round_complete(bracket, tournament.round),
            tournament.round >= bracket.rounds(),
        ),
        None => (false, false),
    };
    TournamentContext {
        entries: tournament.entries.len(),
        min_entries: tournament.rules.min_entries,
        max_entries: tournament.rules.max_entries,
        round_complete,
        last_round,
    }
}

fn pairings(bracket: Option<&Bracket>, round: u32) -> Vec<Pairing> {
    bracket
        .map(|b| {
            b.matches()
                .iter()
                .filter(|m| playing_round(b, m) == round)
                .map(|m| Pairing {
                    match_id: m.id,
                    sides: [m.participant(0).cloned(), m.participant(1).cloned()],
                })
                .collect()
        })
        .unwrap_or_default()
}

fn bracket_of(tournament: &mut Tournament) -> Result<&mut Bracket, ServiceError> {
    let id = tournament.id.to_string();
    tournament.bracket.as_mut().ok_or(ServiceError::Document {
        reason: format!("tournament \"{id}\" has no bracket"),
    })
}

fn supported(format: Format) -> Result<(), ServiceError> {
    match format {
        Format::SingleElimination | Format::RoundRobin => Ok(()),
        format => Err(ServiceError::UnsupportedFormat { format }),
    }
}
