//! Tournaments: edit, publish, join and withdraw, teams, start, results and abandoned
//! matches, advance, standings, archive.

use chrono::{DateTime, Utc};

use crate::access::Principal;
use crate::bracket::{
    Bracket, BracketError, Format, Match, MatchId, MatchResult, MatchStatus, Part, Placement,
};
use crate::chess::Game;
use crate::clock::Clock;
use crate::error::Error;
use crate::event::{Event, EventData, EventType, MatchOwner, Pairing};
use crate::id::TournamentId;
use crate::lifecycle::{
    Lifecycle, TournamentAction, TournamentContext, TournamentLifecycle, TournamentState,
    Transition,
};
use crate::model::{Participant, ParticipantId};
use crate::store::{AggregateRef, Commit, Store, Stored, Write};
use crate::swiss::play::{SwissPlay, SwissStanding};
use crate::tournament::{Play, Team, Tournament, TournamentRules, TournamentSettings};

use super::results::{self, Outcome, ResultWrite};
use super::{created, emitted, next_version, taken, Service, ServiceError};

impl<S: Store, C: Clock> Service<S, C> {
    /// Creates a tournament in `draft` that only administrators direct (no director, no
    /// self-reporting, no automatic advance beyond what Swiss rules ask).
    ///
    /// # Errors
    /// As [`Service::create_tournament_with`].
    pub async fn create_tournament(
        &self,
        id: TournamentId,
        name: impl Into<String>,
        rules: TournamentRules,
    ) -> Result<Stored<Tournament>, Error> {
        self.create_tournament_with(id, name, rules, TournamentSettings::default())
            .await
    }

    /// Creates a tournament in `draft` with its director and settings, in one commit.
    ///
    /// The id must be free: not in use, and not left reserved by a deleted tournament of
    /// another director (a director may create a tournament again under an id of theirs).
    ///
    /// # Errors
    /// [`ServiceError::UnsupportedFormat`] unless single elimination, round robin or Swiss;
    /// [`ServiceError::NoRounds`]; [`ServiceError::IdTaken`].
    pub async fn create_tournament_with(
        &self,
        id: TournamentId,
        name: impl Into<String>,
        rules: TournamentRules,
        settings: TournamentSettings,
    ) -> Result<Stored<Tournament>, Error> {
        let value = self.new_tournament(id, name, rules, settings).await?;
        Ok(self.create(value, Vec::new()).await?.tournament)
    }

    /// Creates a tournament already open for entries (in `registration`), in one commit
    /// with its `tournament.state_changed` event (`draft` → `registration`): a crash cannot
    /// leave it created but unpublished.
    ///
    /// # Errors
    /// As [`Service::create_tournament_with`].
    pub async fn create_published(
        &self,
        id: TournamentId,
        name: impl Into<String>,
        rules: TournamentRules,
        settings: TournamentSettings,
    ) -> Result<TournamentChange, Error> {
        let mut value = self.new_tournament(id, name, rules, settings).await?;
        let step =
            TournamentLifecycle::apply(value.state, TournamentAction::Publish, &context(&value))?;
        let from = value.state;
        value.state = step.to;
        let data = emitted(&step.action, step.emits, |kind| {
            (kind == EventType::TournamentStateChanged).then(|| EventData::TournamentStateChanged {
                tournament: value.id.clone(),
                from,
                to: step.to,
            })
        })?;
        self.create(value, data).await
    }

    /// Commits the new tournament `value` (version 1) with the events of `data`; a store
    /// conflict (someone created the id first) is [`ServiceError::IdTaken`].
    async fn create(
        &self,
        value: Tournament,
        data: Vec<EventData>,
    ) -> Result<TournamentChange, Error> {
        let aggregate = AggregateRef::Tournament(value.id.clone());
        self.write_tournament(value, None, data)
            .await
            .map_err(|e| match e {
                Error::Store(store) => created(store, &aggregate),
                other => other,
            })
    }

    /// A new tournament in `draft`, checked (rules, a free id), not yet stored.
    async fn new_tournament(
        &self,
        id: TournamentId,
        name: impl Into<String>,
        rules: TournamentRules,
        settings: TournamentSettings,
    ) -> Result<Tournament, Error> {
        check_rules(&id, &rules)?;
        let aggregate = AggregateRef::Tournament(id.clone());
        if self.store().tournament(&id).await?.is_some() {
            return Err(taken(&aggregate));
        }
        self.check_reserved(&aggregate, settings.director.as_deref())
            .await?;
        Ok(Tournament {
            id,
            name: name.into(),
            rules,
            state: TournamentState::Draft,
            entries: Vec::new(),
            play: None,
            round: 0,
            director: settings.director,
            self_reporting: settings.self_reporting,
            auto_advance: settings.auto_advance,
            finished_at: None,
            starts_at: None,
            started_at: None,
            withdrawals_close_at_start: settings.withdrawals_close_at_start,
            teams: Vec::new(),
            followers: Vec::new(),
            reminded_at: None,
            board: settings.board,
            board_games: Default::default(),
            board_moves: Default::default(),
        })
    }

    /// A tournament.
    ///
    /// # Errors
    /// [`ServiceError::UnknownTournament`].
    pub async fn tournament(&self, id: &TournamentId) -> Result<Stored<Tournament>, Error> {
        let found = self
            .store()
            .tournament(id)
            .await?
            .ok_or_else(|| ServiceError::UnknownTournament { id: id.to_string() })?;
        super::check_expected(found.version)?;
        Ok(found)
    }

    /// Edits a tournament in `draft`: its name, rules, entry limits or start time, logged as
    /// `tournament.edited` with the settings after the change. `min_entries` and
    /// `max_entries` apply over the rules (the new ones when both are given). An edit that
    /// leaves every setting as it was changes nothing and logs nothing.
    ///
    /// # Errors
    /// [`LifecycleError`](crate::error::LifecycleError) outside `draft` (with the state and
    /// the actions it allows); [`ServiceError::UnsupportedFormat`],
    /// [`ServiceError::NoRounds`], [`ServiceError::EntryLimits`] for rules a tournament
    /// cannot be created with; a conflict.
    pub async fn edit_tournament(
        &self,
        id: &TournamentId,
        changes: TournamentChanges,
    ) -> Result<TournamentChange, Error> {
        let Stored { version, mut value } = self.tournament(id).await?;
        let step =
            TournamentLifecycle::apply(value.state, TournamentAction::Edit, &context(&value))?;
        let before = value.clone();
        if let Some(name) = changes.name {
            value.name = name;
        }
        if let Some(rules) = changes.rules {
            value.rules = rules;
        }
        if let Some(min) = changes.min_entries {
            value.rules.min_entries = min;
        }
        if let Some(max) = changes.max_entries {
            value.rules.max_entries = max;
        }
        if let Some(starts_at) = changes.starts_at {
            if starts_at != value.starts_at {
                // A new start time gets its own reminder.
                value.reminded_at = None;
            }
            value.starts_at = starts_at;
        }
        check_rules(id, &value.rules)?;
        if value == before {
            return Ok(TournamentChange {
                tournament: Stored {
                    version,
                    value: before,
                },
                events: Vec::new(),
            });
        }
        let edited = EventData::TournamentEdited {
            tournament: id.clone(),
            name: value.name.clone(),
            rules: value.rules.clone(),
            starts_at: value.starts_at,
        };
        self.finish(value, version, &step, |kind| {
            (kind == EventType::TournamentEdited).then(|| edited.clone())
        })
        .await
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

    /// Registers a team during registration: its entry (a participant with the team's id and
    /// name) joins the field and the team, with its members, is kept on the tournament. Who
    /// may register it is [`Tournament::may_register_team`]'s to say.
    ///
    /// The name must not be blank (at most 200 bytes); the members are 1 to
    /// [`MAX_TEAM_MEMBERS`] distinct subjects, none blank or over 200 bytes, and none on
    /// another team of the tournament.
    ///
    /// # Errors
    /// [`LifecycleError`](crate::error::LifecycleError) outside registration or when full;
    /// [`ServiceError::InvalidTeam`]; [`ServiceError::AlreadyEntered`] when the id is an
    /// entry's; [`ServiceError::OnAnotherTeam`]; a conflict.
    pub async fn register_team(
        &self,
        id: &TournamentId,
        team: Team,
    ) -> Result<TournamentChange, Error> {
        let Stored { version, mut value } = self.tournament(id).await?;
        let step = TournamentLifecycle::apply(
            value.state,
            TournamentAction::RegisterTeam,
            &context(&value),
        )?;
        check_team(&team)?;
        if value.entries.iter().any(|p| p.id == team.id) {
            return Err(ServiceError::AlreadyEntered {
                tournament: id.to_string(),
                participant: team.id,
            }
            .into());
        }
        for member in &team.members {
            if let Some(other) = value.teams.iter().find(|t| t.has_member(member)) {
                return Err(ServiceError::OnAnotherTeam {
                    tournament: id.to_string(),
                    member: member.clone(),
                    team: other.id.clone(),
                }
                .into());
            }
        }
        let entry = Participant::new(team.id.as_str(), team.name.clone())?;
        value.entries.push(entry);
        value.teams.push(team);
        self.finish(value, version, &step, |_| None).await
    }

    /// Unregisters a team during registration: its entry leaves the field and the team is
    /// forgotten. Who may is [`Tournament::may_unregister_team`]'s to say.
    ///
    /// # Errors
    /// [`LifecycleError`](crate::error::LifecycleError) outside registration;
    /// [`ServiceError::UnknownTeam`]; a conflict.
    pub async fn unregister_team(
        &self,
        id: &TournamentId,
        team: &ParticipantId,
    ) -> Result<TournamentChange, Error> {
        let Stored { version, mut value } = self.tournament(id).await?;
        let step = TournamentLifecycle::apply(
            value.state,
            TournamentAction::UnregisterTeam,
            &context(&value),
        )?;
        let index = value
            .teams
            .iter()
            .position(|t| t.id == *team)
            .ok_or_else(|| ServiceError::UnknownTeam {
                tournament: id.to_string(),
                team: team.clone(),
            })?;
        value.teams.remove(index);
        value.entries.retain(|p| p.id != *team);
        self.finish(value, version, &step, |_| None).await
    }

    /// Withdraws an entry: removed during registration (a team's entry with its team);
    /// once active, its remaining matches become walkovers for its opponents.
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
        // Not an entry is the same refusal before and after the start.
        if !value.entries.iter().any(|p| p.id == *participant) {
            return Err(not_entered().into());
        }
        match value.play.as_mut() {
            Some(Play::Bracket(bracket)) => bracket.withdraw(participant)?,
            Some(Play::Swiss(play)) => play.withdraw(participant)?,
            None => {
                let index = value
                    .entries
                    .iter()
                    .position(|p| p.id == *participant)
                    .ok_or_else(not_entered)?;
                value.entries.remove(index);
                value.teams.retain(|t| t.id != *participant);
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
        match &value.rules.swiss {
            Some(rules) => {
                let mut play = SwissPlay::new(&value.entries);
                play.pair_next(&value.entries, rules)?;
                value.play = Some(Play::Swiss(play));
            }
            None => {
                let bracket = crate::draw(&value.entries, &value.rules.options, value.rules.seed)?;
                supported(bracket.format())?;
                value.play = Some(Play::Bracket(bracket));
            }
        }
        value.round = 1;
        let from = value.state;
        value.state = step.to;
        let pairings = pairings(&value, 1);
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

    /// Records the result of a pending match of the current round by the rules of
    /// [`ResultWrite`]: refused with [`ServiceError::ResultExists`] when the match already has
    /// another result; the same result again changes nothing. A tournament that advances by
    /// itself ([`Tournament::auto_advances`]) closes the round in the same change when this
    /// was its last result.
    ///
    /// # Errors
    /// As [`Service::write_result`].
    pub async fn record_result(
        &self,
        id: &TournamentId,
        match_id: MatchId,
        result: MatchResult,
    ) -> Result<TournamentChange, Error> {
        self.write_result(id, match_id, result, ResultWrite::record())
            .await
    }

    /// Abandons a pending match of the current round: it will not be played and both sides
    /// lose it, recorded as a [`MatchResult::DoubleForfeit`] (`match.result`). In a knockout
    /// neither side advances and the next match's opponent goes through by bye; in a round
    /// robin both take a loss (no points); in a Swiss both lose by forfeit (0 points each,
    /// `0F-0F`). The lifecycle's `abandon_match` must allow it: active, with the round in
    /// progress. Who may is [`Tournament::may_record`]'s to say (the director only).
    ///
    /// # Errors
    /// As [`Service::write_result`].
    pub async fn abandon_match(
        &self,
        id: &TournamentId,
        match_id: MatchId,
    ) -> Result<TournamentChange, Error> {
        self.write_result(
            id,
            match_id,
            MatchResult::DoubleForfeit {},
            ResultWrite::record(),
        )
        .await
    }

    /// Records or corrects the result of a match by the rules of [`ResultWrite`]. A result
    /// is recorded for a pending match of the current round. A correction replaces the
    /// result of a decided match while no match depending on it has been played: in a
    /// bracket, what the bracket's progression says; in a Swiss, a game of the current round
    /// only (the next round's pairing depends on every result). The events are empty when
    /// the same result was already recorded.
    ///
    /// # Errors
    /// [`ServiceError::PreconditionFailed`]; [`ServiceError::ResultExists`];
    /// [`LifecycleError`](crate::error::LifecycleError) unless active (with the round in
    /// progress, for a new result); [`ServiceError::NotInCurrentRound`]; the bracket's error
    /// ([`BracketError::DependentPlayed`] for a correction whose consequences were played);
    /// the pairing engine's error when an automatic advance finds no legal pairing; a conflict
    /// when the race was lost too often.
    pub async fn write_result(
        &self,
        id: &TournamentId,
        match_id: MatchId,
        result: MatchResult,
        write: ResultWrite,
    ) -> Result<TournamentChange, Error> {
        self.write_result_and_moves(id, match_id, result, write, None)
            .await
    }

    /// The board service reports that game `game_id` of `match_id` ended with `winner`, and
    /// perhaps its moves: the whole rule of a board game's end, in one place. The moves, when
    /// given, must be a legal game that agrees with the winner (checked first, before
    /// anything is read); the game must be the one recorded for the match
    /// ([`Tournament::board_games`]); then the result is recorded, with the moves, as
    /// [`Service::record_board_result`] (or [`Service::record_result`] without moves) — the
    /// same report again changes nothing.
    ///
    /// # Errors
    /// [`ServiceError::IllegalGame`]; [`ServiceError::UnknownTournament`];
    /// [`ServiceError::UnknownBoardGame`]; [`ServiceError::Document`] for a match without two
    /// players; [`ServiceError::ResultAgainstBoard`]; as [`Service::write_result`].
    pub async fn board_game_ended(
        &self,
        id: &TournamentId,
        match_id: MatchId,
        game_id: &str,
        winner: super::BoardWinner,
        moves: Option<&str>,
    ) -> Result<TournamentChange, Error> {
        let game = moves
            .map(|moves| super::board::board_game(match_id, moves))
            .transpose()?;
        let tournament = self.tournament(id).await?.value;
        if tournament.board_games.get(&match_id).map(String::as_str) != Some(game_id) {
            return Err(ServiceError::UnknownBoardGame {
                tournament: id.to_string(),
                match_id,
                game_id: game_id.to_owned(),
            }
            .into());
        }
        let result = super::board::board_result(&tournament, &match_id, winner)?;
        self.write_result_and_moves(id, match_id, result, ResultWrite::record(), game.as_ref())
            .await
    }

    /// Records the result of a game played on the board service together with its moves
    /// (UCI separated by white space), in one commit: the result as
    /// [`Service::record_result`] records it, the moves (normalised to single spaces) kept on
    /// the tournament ([`Tournament::board_moves`]) for the games' export. The moves must be
    /// a legal game from the initial position ([`board_game`](super::board_game)), and
    /// the result must agree with how it ended on the board
    /// ([`check_board_ending`](super::check_board_ending)): when either is refused,
    /// nothing is recorded.
    ///
    /// # Errors
    /// [`ServiceError::IllegalGame`]; [`ServiceError::ResultAgainstBoard`]; as
    /// [`Service::write_result`].
    pub async fn record_board_result(
        &self,
        id: &TournamentId,
        match_id: MatchId,
        result: MatchResult,
        moves: String,
    ) -> Result<TournamentChange, Error> {
        let game = super::board::board_game(match_id, &moves)?;
        self.write_result_and_moves(id, match_id, result, ResultWrite::record(), Some(&game))
            .await
    }

    async fn write_result_and_moves(
        &self,
        id: &TournamentId,
        match_id: MatchId,
        result: MatchResult,
        write: ResultWrite,
        moves: Option<&Game>,
    ) -> Result<TournamentChange, Error> {
        let mut attempt = 1;
        loop {
            match self
                .try_write_result(id, match_id, &result, write, moves)
                .await
            {
                Err(error) if results::lost_race(&error) => {
                    let current = self.tournament(id).await?.version;
                    results::after_race(error, write, attempt, current)?;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn try_write_result(
        &self,
        id: &TournamentId,
        match_id: MatchId,
        result: &MatchResult,
        write: ResultWrite,
        moves: Option<&Game>,
    ) -> Result<TournamentChange, Error> {
        let Stored { version, mut value } = self.tournament(id).await?;
        results::check_version(write, version)?;
        let action = match result {
            MatchResult::DoubleForfeit {} => TournamentAction::AbandonMatch,
            _ => TournamentAction::RecordResult,
        };
        if value.play.is_none() {
            // Not started (or done without play): the lifecycle says what the state allows.
            TournamentLifecycle::apply(value.state, action, &context(&value))?;
        }
        let round = value.round;
        let (match_round, status, recorded) = match &value.play {
            Some(Play::Bracket(bracket)) => {
                let found = bracket
                    .match_by_id(&match_id)
                    .ok_or(BracketError::UnknownMatch { match_id })?;
                (
                    playing_round(bracket, found),
                    found.status,
                    found.result.clone(),
                )
            }
            Some(Play::Swiss(play)) => {
                let found = play
                    .round(match_id.round())
                    .and_then(|r| r.games.iter().find(|g| g.id == match_id))
                    .ok_or(BracketError::UnknownMatch { match_id })?;
                (match_id.round(), found.status(), found.result.clone())
            }
            None => return Err(no_play(&value).into()),
        };
        if let Some(game) = moves {
            super::board::check_board_ending(&value, &match_id, result, game)?;
        }
        let outcome = results::outcome(match_id, recorded.as_ref(), result, write)?;
        let mut guards = context(&value);
        match outcome {
            Outcome::Unchanged => {
                return Ok(TournamentChange {
                    tournament: Stored { version, value },
                    events: Vec::new(),
                })
            }
            Outcome::Record => {}
            // A correction reopens the match it corrects: the round is in progress for it.
            Outcome::Correct(_) => guards.round_complete = false,
        }
        let step = TournamentLifecycle::apply(value.state, action, &guards)?;
        let in_round = match (&outcome, &value.play) {
            (Outcome::Correct(_), Some(Play::Swiss(_))) => match_round == round,
            (Outcome::Correct(_), _) => match_round <= round,
            _ => match_round == round && status == MatchStatus::Ready,
        };
        if !in_round {
            return Err(ServiceError::NotInCurrentRound {
                match_id,
                round,
                match_round,
                status,
            }
            .into());
        }
        match value.play.as_mut() {
            Some(Play::Bracket(bracket)) => bracket.record_result(&match_id, result.clone())?,
            Some(Play::Swiss(play)) => {
                if let Outcome::Correct(_) = outcome {
                    // The game is of the current round (checked above): it is played again
                    // with the new result, checked as any result is. On error nothing is
                    // committed.
                    let game = play
                        .rounds
                        .last_mut()
                        .and_then(|r| r.games.iter_mut().find(|g| g.id == match_id))
                        .ok_or(BracketError::UnknownMatch { match_id })?;
                    game.result = None;
                }
                play.record(&match_id, result.clone())?;
            }
            None => return Err(no_play(&value).into()),
        }
        let recorded = EventData::MatchResult {
            owner: MatchOwner::Tournament(id.clone()),
            match_id,
            result: result.clone(),
            round: Some(round),
        };
        let data = emitted(&step.action, step.emits, |kind| {
            (kind == EventType::MatchResult).then(|| recorded.clone())
        })?;
        let mut data = results::corrected(data, &outcome);
        if let Some(game) = moves {
            value.board_moves.insert(match_id, game.uci());
        }
        if value.auto_advances() && context(&value).round_complete {
            data.extend(self.advance_in_place(&mut value)?);
        }
        self.commit_tournament(value, version, data).await
    }

    /// Closes the current round once every match in it is decided: opens the next round
    /// (pairing it, for a Swiss), or finishes the tournament after the last.
    ///
    /// # Errors
    /// [`LifecycleError`](crate::error::LifecycleError) unless active with the round
    /// complete; the pairing engine's error when no legal pairing exists; a conflict.
    pub async fn advance(&self, id: &TournamentId) -> Result<TournamentChange, Error> {
        let Stored { version, mut value } = self.tournament(id).await?;
        let data = self.advance_in_place(&mut value)?;
        self.commit_tournament(value, version, data).await
    }

    /// Final standings once every match is decided (for a Swiss, the ranks after the rounds
    /// decided so far).
    ///
    /// # Errors
    /// [`ServiceError::UnknownTournament`]; the bracket's
    /// [`Incomplete`](crate::error::BracketError::Incomplete) before the end.
    pub async fn standings(&self, id: &TournamentId) -> Result<Vec<Placement>, Error> {
        let Stored { mut value, .. } = self.tournament(id).await?;
        if let (Some(play), Some(rules)) = (value.swiss(), &value.rules.swiss) {
            return Ok(play
                .standings(&value.entries, rules)
                .into_iter()
                .map(|row| Placement {
                    place: row.rank,
                    participant: row.participant,
                })
                .collect());
        }
        Ok(bracket_of(&mut value)?.placements()?)
    }

    /// The Swiss standings table: points, wins, draws, losses and the rules' tie-breaks after
    /// the rounds decided so far.
    ///
    /// # Errors
    /// [`ServiceError::UnknownTournament`]; [`ServiceError::NotSwiss`] for a bracket format
    /// or a Swiss not started.
    pub async fn swiss_standings(&self, id: &TournamentId) -> Result<Vec<SwissStanding>, Error> {
        let Stored { value, .. } = self.tournament(id).await?;
        match (value.swiss(), &value.rules.swiss) {
            (Some(play), Some(rules)) => Ok(play.standings(&value.entries, rules)),
            _ => Err(ServiceError::NotSwiss { id: id.to_string() }.into()),
        }
    }

    /// A started Swiss as a TRF-16 report of its decided rounds.
    ///
    /// # Errors
    /// [`ServiceError::UnknownTournament`]; [`ServiceError::NotSwiss`].
    pub async fn export_trf(&self, id: &TournamentId) -> Result<String, Error> {
        let Stored { value, .. } = self.tournament(id).await?;
        match (value.swiss(), &value.rules.swiss) {
            (Some(play), Some(rules)) => {
                Ok(play.to_trf(&value.name, &value.entries, rules).write())
            }
            _ => Err(ServiceError::NotSwiss { id: id.to_string() }.into()),
        }
    }

    /// Deletes a tournament that has not started (in `draft` or `registration`): its document
    /// goes, and `tournament.deleted` is logged in the same commit. Returns the events.
    ///
    /// # Errors
    /// [`ServiceError::UnknownTournament`]; [`LifecycleError`](crate::error::LifecycleError)
    /// once started; a conflict when it changed since it was read.
    pub async fn delete_tournament(&self, id: &TournamentId) -> Result<Vec<Event>, Error> {
        let Stored { version, value } = self.tournament(id).await?;
        let step =
            TournamentLifecycle::apply(value.state, TournamentAction::Delete, &context(&value))?;
        let data = emitted(&step.action, step.emits, |kind| {
            (kind == EventType::TournamentDeleted).then(|| EventData::TournamentDeleted {
                tournament: id.clone(),
                state: value.state,
            })
        })?;
        let aggregate = AggregateRef::Tournament(id.clone());
        // The deletion is the tournament's last change: its events carry the version after it.
        let events = super::events(&aggregate, next_version(version), self.clock().now(), data)?;
        let logged = events.iter().map(|e| (aggregate.clone(), e.clone()));
        self.store()
            .delete(&aggregate, version, logged.collect())
            .await?;
        Ok(events)
    }

    /// Applies `advance` to `value` and returns the payloads of the events it emits.
    fn advance_in_place(&self, value: &mut Tournament) -> Result<Vec<EventData>, Error> {
        let id = value.id.clone();
        let step =
            TournamentLifecycle::apply(value.state, TournamentAction::Advance, &context(value))?;
        let finished = value.round;
        let from = value.state;
        let mut placements = Vec::new();
        if step.to == TournamentState::Active {
            value.round = finished.saturating_add(1);
            if let (Some(Play::Swiss(play)), Some(rules)) = (&mut value.play, &value.rules.swiss) {
                play.pair_next(&value.entries, rules)?;
            }
        } else if let (Some(play), Some(rules)) = (value.swiss(), &value.rules.swiss) {
            placements = play
                .standings(&value.entries, rules)
                .into_iter()
                .map(|row| Placement {
                    place: row.rank,
                    participant: row.participant,
                })
                .collect();
        } else {
            placements = bracket_of(value)?.placements()?;
        }
        value.state = step.to;
        let next = value.round;
        let pairings = pairings(value, next);
        Ok(emitted(&step.action, step.emits, |kind| match kind {
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
        })?)
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
        self.commit_tournament(value, expected, data).await
    }

    pub(super) async fn commit_tournament(
        &self,
        value: Tournament,
        expected: u64,
        data: Vec<EventData>,
    ) -> Result<TournamentChange, Error> {
        self.write_tournament(value, Some(expected), data).await
    }

    /// Commits `value` with the events of `data`: over version `expected`, or as a new
    /// tournament (`None`: version 1).
    async fn write_tournament(
        &self,
        mut value: Tournament,
        expected: Option<u64>,
        data: Vec<EventData>,
    ) -> Result<TournamentChange, Error> {
        let version = expected.map_or(1, next_version);
        let now = self.clock().now();
        if data
            .iter()
            .any(|d| matches!(d, EventData::TournamentFinished { .. }))
        {
            value.finished_at = Some(now);
        }
        let starts = data.iter().any(|d| {
            matches!(
                d,
                EventData::TournamentStateChanged {
                    to: TournamentState::Active,
                    ..
                }
            )
        });
        if starts && value.started_at.is_none() {
            value.started_at = Some(now);
        }
        let aggregate = AggregateRef::Tournament(value.id.clone());
        let mut commit = Commit {
            writes: vec![Write::Tournament {
                value: value.clone(),
                expected,
            }],
            ..Commit::default()
        };
        super::notifications::arm_reminder(&mut commit, &value, version, self.reminder, now);
        // The games this change pairs on a board service are created by jobs enqueued with it.
        commit
            .jobs
            .extend(super::board::board_jobs(&value, &data, now));
        let events = self
            .commit_with_events(commit, &aggregate, version, now, data)
            .await?;
        Ok(TournamentChange {
            tournament: Stored { version, value },
            events,
        })
    }
}

/// The most members a team may have.
pub const MAX_TEAM_MEMBERS: usize = 64;

/// What [`Service::edit_tournament`] changes: each field left `None` stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TournamentChanges {
    /// A new display name.
    pub name: Option<String>,
    /// New rules (replacing the rules whole).
    pub rules: Option<TournamentRules>,
    /// A new minimum of entries to start.
    pub min_entries: Option<usize>,
    /// A new maximum of entries (`Some(None)`: no limit).
    pub max_entries: Option<Option<usize>>,
    /// A new start time (`Some(None)`: none announced).
    pub starts_at: Option<Option<DateTime<Utc>>>,
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
    let (round_complete, last_round) = match &tournament.play {
        Some(Play::Bracket(bracket)) => (
            round_complete(bracket, tournament.round),
            tournament.round >= bracket.rounds(),
        ),
        Some(Play::Swiss(play)) => (
            play.round_complete(tournament.round),
            tournament
                .rules
                .swiss
                .as_ref()
                .is_none_or(|rules| tournament.round >= rules.rounds),
        ),
        None => (false, false),
    };
    TournamentContext {
        entries: tournament.entries.len(),
        min_entries: tournament.rules.min_entries,
        max_entries: tournament.rules.max_entries,
        round_complete,
        last_round,
        withdrawals_close_at_start: tournament.withdrawals_close_at_start,
    }
}

fn pairings(tournament: &Tournament, round: u32) -> Vec<Pairing> {
    match &tournament.play {
        Some(Play::Swiss(play)) => play
            .round(round)
            .map(|r| {
                r.games
                    .iter()
                    .map(|g| Pairing {
                        match_id: g.id,
                        sides: g.sides(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Some(Play::Bracket(b)) => b
            .matches()
            .iter()
            .filter(|m| playing_round(b, m) == round)
            .map(|m| Pairing {
                match_id: m.id,
                sides: [m.participant(0).cloned(), m.participant(1).cloned()],
            })
            .collect(),
        None => Vec::new(),
    }
}

fn no_play(tournament: &Tournament) -> ServiceError {
    ServiceError::Document {
        reason: format!(
            "tournament \"{}\" has neither a bracket nor Swiss rounds",
            tournament.id
        ),
    }
}

fn bracket_of(tournament: &mut Tournament) -> Result<&mut Bracket, ServiceError> {
    let id = tournament.id.to_string();
    tournament.bracket_mut().ok_or(ServiceError::Document {
        reason: format!("tournament \"{id}\" has no bracket"),
    })
}

/// Refuses rules a tournament cannot be played with.
fn check_rules(id: &TournamentId, rules: &TournamentRules) -> Result<(), ServiceError> {
    match &rules.swiss {
        Some(swiss) if swiss.rounds == 0 => {
            return Err(ServiceError::NoRounds { id: id.to_string() })
        }
        Some(_) => {}
        None => supported(rules.options.format)?,
    }
    match rules.max_entries {
        Some(max) if max < rules.min_entries => Err(ServiceError::EntryLimits {
            min: rules.min_entries,
            max,
        }),
        _ => Ok(()),
    }
}

/// Refuses a team with a blank or long name, or members that are missing, blank, long or
/// repeated.
fn check_team(team: &Team) -> Result<(), ServiceError> {
    let invalid = |reason: String| Err(ServiceError::InvalidTeam { reason });
    if team.name.trim().is_empty() || team.name.len() > 200 {
        return invalid("the name must be 1 to 200 bytes and not blank".to_string());
    }
    if team.members.is_empty() || team.members.len() > MAX_TEAM_MEMBERS {
        return invalid(format!(
            "a team has 1 to {MAX_TEAM_MEMBERS} members, not {}",
            team.members.len()
        ));
    }
    for (i, member) in team.members.iter().enumerate() {
        if member.trim().is_empty() || member.len() > 200 {
            return invalid(format!(
                "member {} must be 1 to 200 bytes and not blank",
                i + 1
            ));
        }
        if team.members[..i].contains(member) {
            return invalid(format!("\"{member}\" is listed twice"));
        }
    }
    Ok(())
}

fn supported(format: Format) -> Result<(), ServiceError> {
    match format {
        Format::SingleElimination | Format::RoundRobin => Ok(()),
        format => Err(ServiceError::UnsupportedFormat { format }),
    }
}

/// What `principal` may do with `tournament` now (`None`: nobody signed in, who may do
/// nothing): the actions its lifecycle allows in its state whose guards hold, kept when
/// the principal is one who may take them —
///
/// - the director (or an administrator): publish, start, advance, cancel, archive, delete,
///   edit, abandon a match, record a result, unregister a team;
/// - anyone signed in who has not entered: join, register a team (of which they are a
///   member);
/// - an entrant: withdraw; record a result where entrants report their own;
/// - a member of a registered team: unregister a team.
///
/// Pages show a button for each and nothing else; the service still decides every action
/// when it is taken.
pub fn actions_for(
    tournament: &Tournament,
    principal: Option<&Principal>,
) -> Vec<TournamentAction> {
    let Some(principal) = principal else {
        return Vec::new();
    };
    let directs = tournament.may_direct(principal).is_ok();
    let entered = tournament
        .entries
        .iter()
        .any(|e| e.id.as_str() == principal.subject());
    let on_team = tournament
        .teams
        .iter()
        .any(|t| t.members.iter().any(|m| m == principal.subject()));
    TournamentLifecycle::available(tournament.state, &context(tournament))
        .into_iter()
        .filter(|action| match action {
            TournamentAction::Publish
            | TournamentAction::Start
            | TournamentAction::Advance
            | TournamentAction::Cancel
            | TournamentAction::Archive
            | TournamentAction::Delete
            | TournamentAction::Edit
            | TournamentAction::AbandonMatch => directs,
            TournamentAction::Join | TournamentAction::RegisterTeam => !entered && !on_team,
            TournamentAction::Withdraw => entered,
            TournamentAction::RecordResult => directs || (tournament.self_reporting && entered),
            TournamentAction::UnregisterTeam => directs || on_team,
        })
        .collect()
}
