//! Competitions, divisions and their brackets: generate, preview, edit, lock, results, tags.

use crate::bracket::{Bracket, BracketOptions};
use crate::clock::Clock;
use crate::competition::{Competition, Division, DivisionRules};
use crate::diff::{Overrides, Preview};
use crate::error::Error;
use crate::event::{Event, EventData, EventType};
use crate::id::{CompetitionId, DivisionId, TagName};
use crate::lifecycle::{BracketAction, BracketContext, BracketLifecycle, BracketState, Lifecycle};
use crate::model::{ModelError, Participant};
use crate::store::{
    AggregateRef, Commit, CompletedRun, Job, JobId, NewJob, SnapshotEntry, SnapshotIndex, Store,
    Stored, Write,
};
use crate::version::{
    apply_patch, canonical_json, rebase, ContentHash, DroppedPatch, Patch, TagMove, TagStatus,
    VersionError, VersionRecord,
};

use super::runs::{Checkpoint, NoProbe, RunProbe};
use super::{emitted, next_version, Service, ServiceError};

/// The job kind that generates one division's bracket; payload `{"event", "division"}`.
pub const GENERATE_BRACKET: &str = "generate_bracket";

/// The division a [`GENERATE_BRACKET`] job generates (`None` for another kind of job or a
/// payload without a valid division id).
pub fn generation_target(job: &Job) -> Option<DivisionId> {
    if job.kind != GENERATE_BRACKET {
        return None;
    }
    let division = job.payload.get("division")?.as_str()?;
    DivisionId::new(division).ok()
}

/// The settings a division update changes; `None` keeps a setting as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DivisionChanges {
    /// A new display name.
    pub name: Option<String>,
    /// New bracket rules, for the next generated bracket.
    pub rules: Option<BracketOptions>,
    /// A new draw seed, for the next generated bracket.
    pub seed: Option<u64>,
}

/// The outcome of [`Service::generate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The division as committed.
    pub division: Stored<Division>,
    /// The events committed.
    pub events: Vec<Event>,
    /// Manual edits of the previous current version that no longer apply to the new draw
    /// (the others were replayed over it).
    pub dropped: Vec<DroppedPatch>,
}

impl<S: Store, C: Clock> Service<S, C> {
    /// Creates a competition that only administrators direct.
    ///
    /// # Errors
    /// As [`Service::create_competition_with`].
    pub async fn create_competition(
        &self,
        id: CompetitionId,
        name: impl Into<String>,
    ) -> Result<Stored<Competition>, Error> {
        self.create_competition_with(id, name, None).await
    }

    /// Creates a competition directed by `director` (who directs its divisions too).
    ///
    /// # Errors
    /// [`ServiceError::IdTaken`] if the id is in use.
    pub async fn create_competition_with(
        &self,
        id: CompetitionId,
        name: impl Into<String>,
        director: Option<String>,
    ) -> Result<Stored<Competition>, Error> {
        let aggregate = AggregateRef::Competition(id.clone());
        if self.store().competition(&id).await?.is_some() {
            return Err(super::taken(&aggregate));
        }
        let value = Competition {
            id,
            name: name.into(),
            divisions: Vec::new(),
            director,
        };
        let commit = Commit {
            writes: vec![Write::Competition {
                value: value.clone(),
                expected: None,
            }],
            ..Commit::default()
        };
        self.store()
            .commit(commit)
            .await
            .map_err(|e| super::created(e, &aggregate))?;
        Ok(Stored { version: 1, value })
    }

    /// A competition.
    ///
    /// # Errors
    /// [`ServiceError::UnknownCompetition`].
    pub async fn competition(&self, id: &CompetitionId) -> Result<Stored<Competition>, Error> {
        self.store()
            .competition(id)
            .await?
            .ok_or_else(|| ServiceError::UnknownCompetition { id: id.to_string() }.into())
    }

    /// Renames a competition, logged as `event.updated`. The same name again changes nothing
    /// and logs nothing.
    ///
    /// # Errors
    /// [`ServiceError::UnknownCompetition`]; a conflict.
    pub async fn rename_competition(
        &self,
        id: &CompetitionId,
        name: impl Into<String>,
    ) -> Result<(Stored<Competition>, Vec<Event>), Error> {
        let Stored { version, mut value } = self.competition(id).await?;
        let name = name.into();
        if value.name == name {
            return Ok((Stored { version, value }, Vec::new()));
        }
        value.name = name;
        let data = vec![EventData::EventUpdated {
            event: id.clone(),
            name: value.name.clone(),
        }];
        let commit = Commit {
            writes: vec![Write::Competition {
                value: value.clone(),
                expected: Some(version),
            }],
            ..Commit::default()
        };
        let version = next_version(version);
        let aggregate = AggregateRef::Competition(id.clone());
        let now = self.clock().now();
        let events = self
            .commit_with_events(commit, &aggregate, version, now, data)
            .await?;
        Ok((Stored { version, value }, events))
    }

    /// Changes a division's name, bracket rules or draw seed, logged as `division.updated`.
    /// The rules and the seed make the next bracket, so they change only while a bracket may
    /// still be generated (not once locked); the name changes at any time. Changes that leave
    /// every setting as it was change nothing and log nothing.
    ///
    /// # Errors
    /// [`ServiceError::UnknownDivision`]; a
    /// [`LifecycleError`](crate::error::LifecycleError) for rules or a seed once locked; a
    /// conflict.
    pub async fn update_division(
        &self,
        id: &DivisionId,
        changes: DivisionChanges,
    ) -> Result<(Stored<Division>, Vec<Event>), Error> {
        let Stored { version, mut value } = self.division(id).await?;
        if changes.rules.is_some() || changes.seed.is_some() {
            BracketLifecycle::apply(
                value.state,
                BracketAction::Generate,
                &BracketContext::default(),
            )?;
        }
        let before = (value.name.clone(), value.rules.clone());
        if let Some(name) = changes.name {
            value.name = name;
        }
        if let Some(rules) = changes.rules {
            value.rules.options = rules;
        }
        if let Some(seed) = changes.seed {
            value.rules.seed = seed;
        }
        if (&value.name, &value.rules) == (&before.0, &before.1) {
            return Ok((Stored { version, value }, Vec::new()));
        }
        let data = vec![EventData::DivisionUpdated {
            division: id.clone(),
            name: value.name.clone(),
            rules: value.rules.options.clone(),
            seed: value.rules.seed,
        }];
        self.save_division(value, version, Vec::new(), data).await
    }

    /// Creates a division of a competition, with no participants and no bracket.
    ///
    /// # Errors
    /// [`ServiceError::UnknownCompetition`]; a conflict if the id is taken or the competition
    /// changed meanwhile.
    pub async fn create_division(
        &self,
        competition: &CompetitionId,
        id: DivisionId,
        name: impl Into<String>,
        rules: DivisionRules,
    ) -> Result<Stored<Division>, Error> {
        let mut parent = self
            .store()
            .competition(competition)
            .await?
            .ok_or_else(|| ServiceError::UnknownCompetition {
                id: competition.to_string(),
            })?;
        parent.value.divisions.push(id.clone());
        let value = Division {
            id,
            competition: competition.clone(),
            name: name.into(),
            participants: Vec::new(),
            rules,
            state: BracketState::Draft,
            bracket: None,
            history: crate::version::History::new(),
        };
        let commit = Commit {
            writes: vec![
                Write::Competition {
                    value: parent.value,
                    expected: Some(parent.version),
                },
                Write::Division {
                    value: value.clone(),
                    expected: None,
                },
            ],
            ..Commit::default()
        };
        self.store().commit(commit).await?;
        Ok(Stored { version: 1, value })
    }

    /// A division.
    ///
    /// # Errors
    /// [`ServiceError::UnknownDivision`].
    pub async fn division(&self, id: &DivisionId) -> Result<Stored<Division>, Error> {
        let found = self
            .store()
            .division(id)
            .await?
            .ok_or_else(|| ServiceError::UnknownDivision { id: id.to_string() })?;
        super::check_expected(found.version)?;
        Ok(found)
    }

    /// Adds participants to a division's field (before the bracket is locked).
    ///
    /// # Errors
    /// [`ServiceError::FieldFrozen`] once locked; [`ModelError::DuplicateId`] for an id
    /// already in the field; a conflict.
    pub async fn add_participants(
        &self,
        id: &DivisionId,
        participants: Vec<Participant>,
    ) -> Result<Stored<Division>, Error> {
        let Stored { version, mut value } = self.division(id).await?;
        if matches!(value.state, BracketState::Locked | BracketState::Completed) {
            return Err(ServiceError::FieldFrozen {
                division: id.to_string(),
                state: value.state.to_string(),
            }
            .into());
        }
        for participant in participants {
            if value.participants.iter().any(|p| p.id == participant.id) {
                return Err(ModelError::DuplicateId { id: participant.id }.into());
            }
            value.participants.push(participant);
        }
        self.save_division(value, version, Vec::new(), Vec::new())
            .await
            .map(|(division, _)| division)
    }

    /// Generates (or regenerates) the division's bracket from its field and rules: records a
    /// new version, moves `current` to it, and replays the manual edits of the previous
    /// current version over it, reporting those that no longer apply.
    ///
    /// A draw that fails commits a `bracket.failed` event and returns the draw's error.
    ///
    /// # Errors
    /// [`LifecycleError`](crate::error::LifecycleError) once locked; the draw's error; a
    /// conflict.
    pub async fn generate(&self, id: &DivisionId) -> Result<Generated, Error> {
        self.generate_completing(id, None, None).await
    }

    /// [`Service::generate`] as the effect of a job: the new version commits together with the
    /// job's completion and its snapshot index ([`Commit::completed_runs`]: the division's
    /// version read; the blobs and the version written), so a job that generated its bracket is
    /// succeeded in the same transaction and never runs, nor generates, again. A draw that
    /// fails commits its `bracket.failed` event without completing the job.
    ///
    /// # Errors
    /// As [`Service::generate`];
    /// [`StoreError::LeaseLost`](crate::error::StoreError::LeaseLost) (nothing committed) when
    /// `worker` no longer holds the job, e.g. because it already succeeded;
    /// [`StoreError::RunCancelled`](crate::error::StoreError::RunCancelled) (nothing
    /// committed) when its cancellation was requested.
    pub async fn generate_for_job(
        &self,
        id: &DivisionId,
        job: JobId,
        worker: &str,
    ) -> Result<Generated, Error> {
        self.generate_completing(id, Some((job, worker.to_owned())), None)
            .await
    }

    /// Queues one [`GENERATE_BRACKET`] job per division of `competition`, in division order,
    /// each with one attempt (a draw that fails is reported, not retried). With `key` (a
    /// caller's idempotency key), each job is keyed by competition, division and `key`, so
    /// the same call again returns the same jobs and queues nothing new; a failure part way
    /// leaves the queued jobs, and the same call with the same key completes the set.
    ///
    /// # Errors
    /// [`ServiceError::UnknownCompetition`]; the store's.
    pub async fn queue_generation(
        &self,
        competition: &CompetitionId,
        key: Option<&str>,
    ) -> Result<Vec<Job>, Error> {
        let event = self.competition(competition).await?.value;
        let mut jobs = Vec::with_capacity(event.divisions.len());
        for division in &event.divisions {
            jobs.push(self.queue_division(&event.id, division, key).await?);
        }
        Ok(jobs)
    }

    /// Queues the [`GENERATE_BRACKET`] job of `division` of `event`, keyed as
    /// [`Service::queue_generation`] keys it (the same key gives the same job either way).
    ///
    /// # Errors
    /// The store's.
    pub(crate) async fn queue_division(
        &self,
        event: &CompetitionId,
        division: &DivisionId,
        key: Option<&str>,
    ) -> Result<Job, Error> {
        let payload = serde_json::json!({ "event": event, "division": division });
        let job = NewJob::new(GENERATE_BRACKET, payload, self.clock().now())
            .with_max_attempts(1)
            .with_target(AggregateRef::Division(division.clone()).to_string());
        let job = match key {
            Some(key) => job.with_key(format!("generate:{event}:{division}:{key}")),
            None => job,
        };
        Ok(self.store().enqueue(job).await?)
    }

    /// Runs a [`GENERATE_BRACKET`] job leased to its worker: the division its payload names,
    /// generated as [`Service::generate_for_job`] does.
    ///
    /// # Errors
    /// [`ServiceError::Document`] when the job names no division or is not leased; as
    /// [`Service::generate_for_job`].
    pub async fn run_generation(&self, job: &Job) -> Result<Generated, Error> {
        self.run_generation_with(job, &NoProbe).await
    }

    /// [`Service::run_generation`] with its checkpoints ([`Service::checkpoint`]): after
    /// reading the division ([`Checkpoint::Read`]) and after the draw ([`Checkpoint::Computed`]),
    /// `probe` is told and the run stops there if its cancellation was requested, having
    /// committed nothing (a cancellation requested later still stops it: the commit that
    /// would complete it is refused).
    ///
    /// # Errors
    /// As [`Service::run_generation`]; [`StoreError::RunCancelled`](crate::error::StoreError::RunCancelled)
    /// at a checkpoint.
    pub async fn run_generation_with(
        &self,
        job: &Job,
        probe: &dyn RunProbe,
    ) -> Result<Generated, Error> {
        let malformed = |reason: &str| ServiceError::Document {
            reason: format!("job {}: {reason}", job.id),
        };
        let division =
            generation_target(job).ok_or_else(|| malformed("the job has no division"))?;
        let worker = job
            .worker
            .as_deref()
            .ok_or_else(|| malformed("the job is not leased to a worker"))?;
        self.generate_completing(
            &division,
            Some((job.id, worker.to_owned())),
            Some((job, probe)),
        )
        .await
    }

    async fn generate_completing(
        &self,
        id: &DivisionId,
        job: Option<(JobId, String)>,
        run: Option<(&Job, &dyn RunProbe)>,
    ) -> Result<Generated, Error> {
        let Stored { version, mut value } = self.division(id).await?;
        if let Some((job, probe)) = run {
            self.checkpoint(job, Checkpoint::Read, probe).await?;
        }
        let context = BracketContext::default();
        let step = BracketLifecycle::apply(value.state, BracketAction::Generate, &context)?;
        let now = self.clock().now();
        let drawn = crate::draw(&value.participants, &value.rules.options, value.rules.seed);
        if let Some((job, probe)) = run {
            self.checkpoint(job, Checkpoint::Computed, probe).await?;
        }
        let base = match drawn {
            Ok(bracket) => bracket,
            Err(error) => {
                let failed = BracketLifecycle::apply(value.state, BracketAction::Fail, &context)?;
                let reason = error.to_string();
                let data = emitted(&BracketAction::Fail, failed.emits, |kind| {
                    (kind == EventType::BracketFailed).then(|| EventData::BracketFailed {
                        division: id.clone(),
                        reason: reason.clone(),
                    })
                })?;
                self.save_division(value, version, Vec::new(), data).await?;
                return Err(error);
            }
        };
        let patches = value
            .history
            .tag(&TagName::current())
            .and_then(|n| value.history.version(n))
            .map(|record| record.patches.clone())
            .unwrap_or_default();
        let mut blobs = Vec::new();
        let (hash, bytes) = addressed(&base)?;
        let mut number = value.history.record_generated(
            hash.clone(),
            value.rules.options.clone(),
            value.rules.seed,
            now,
        )?;
        let base_number = number;
        blobs.push((hash.clone(), bytes));
        let replayed = rebase(&base, &patches);
        let mut bracket = base;
        for patch in &replayed.applied {
            bracket = apply_patch(&bracket, patch)?;
            let (edit_hash, edit_bytes) = addressed(&bracket)?;
            number = value
                .history
                .record_edit(number, edit_hash.clone(), patch.clone(), now)?;
            blobs.push((edit_hash, edit_bytes));
        }
        let moved = value.history.move_tag(TagName::current(), number, now)?;
        let format = bracket.format();
        let entries = bracket.participants().len();
        value.bracket = Some(bracket);
        value.state = step.to;
        let seed = value.rules.seed;
        let data = emitted(&step.action, step.emits, |kind| match kind {
            EventType::BracketGenerated => Some(EventData::BracketGenerated {
                division: id.clone(),
                version: base_number,
                hash: hash.clone(),
                format,
                entries,
                seed,
            }),
            EventType::TagMoved => Some(tag_moved(id, &moved)),
            _ => None,
        })?;
        let (division, events) = self
            .save_division_completing(value, version, blobs, data, job)
            .await?;
        Ok(Generated {
            division,
            events,
            dropped: replayed.dropped,
        })
    }

    /// What regenerating with `overrides` would give, compared with the current bracket;
    /// saves nothing.
    ///
    /// # Errors
    /// [`ServiceError::NoBracket`]; invalid overrides; the draw's error.
    pub async fn preview(&self, id: &DivisionId, overrides: &Overrides) -> Result<Preview, Error> {
        let Stored { value, .. } = self.division(id).await?;
        let current = value
            .bracket
            .as_ref()
            .ok_or_else(|| ServiceError::NoBracket {
                division: id.to_string(),
            })?;
        crate::diff::preview(&value.participants, current, overrides, value.rules.seed)
    }

    /// Applies a manual edit to the current (ready) bracket: a new version, `current` moves.
    /// A `replace` also replaces the participant in the division's field.
    ///
    /// # Errors
    /// [`LifecycleError`](crate::error::LifecycleError) unless ready; the patch's
    /// [`VersionError`]; a conflict.
    pub async fn edit(
        &self,
        id: &DivisionId,
        patch: Patch,
    ) -> Result<(Stored<Division>, Vec<Event>), Error> {
        let Stored { version, mut value } = self.division(id).await?;
        let step =
            BracketLifecycle::apply(value.state, BracketAction::Edit, &BracketContext::default())?;
        let now = self.clock().now();
        let (parent, current) = current_of(&value)?;
        let edited = apply_patch(current, &patch)?;
        let (hash, bytes) = addressed(&edited)?;
        let number = value
            .history
            .record_edit(parent, hash.clone(), patch.clone(), now)?;
        let moved = value.history.move_tag(TagName::current(), number, now)?;
        if let Patch::Replace { out, with } = &patch {
            if let Some(entry) = value.participants.iter_mut().find(|p| p.id == *out) {
                *entry = with.clone();
            }
        }
        value.bracket = Some(edited);
        value.state = step.to;
        let data = emitted(&step.action, step.emits, |kind| match kind {
            EventType::BracketEdited => Some(EventData::BracketEdited {
                division: id.clone(),
                version: number,
                hash: hash.clone(),
                patch: patch.clone(),
            }),
            EventType::TagMoved => Some(tag_moved(id, &moved)),
            _ => None,
        })?;
        self.save_division(value, version, vec![(hash, bytes)], data)
            .await
    }

    /// Locks the current bracket for play.
    ///
    /// # Errors
    /// [`LifecycleError`](crate::error::LifecycleError) unless ready; a conflict.
    pub async fn lock(&self, id: &DivisionId) -> Result<(Stored<Division>, Vec<Event>), Error> {
        let Stored { version, mut value } = self.division(id).await?;
        let step =
            BracketLifecycle::apply(value.state, BracketAction::Lock, &BracketContext::default())?;
        let (number, _) = current_of(&value)?;
        let hash = value
            .history
            .version(number)
            .map(|record| record.hash.clone())
            .ok_or(VersionError::UnknownVersion { number })?;
        value.state = step.to;
        let data = emitted(&step.action, step.emits, |kind| {
            (kind == EventType::BracketLocked).then(|| EventData::BracketLocked {
                division: id.clone(),
                version: number,
                hash: hash.clone(),
            })
        })?;
        self.save_division(value, version, Vec::new(), data).await
    }

    /// The bracket version `number` of a division, read from its blob.
    ///
    /// # Errors
    /// [`VersionError::UnknownVersion`]; [`ServiceError::MissingBlob`];
    /// [`VersionError::CorruptBlob`].
    pub async fn version_bracket(&self, id: &DivisionId, number: u32) -> Result<Bracket, Error> {
        let Stored { value, .. } = self.division(id).await?;
        self.load_version(&value, number).await
    }

    /// The stored bytes of the bracket with content hash `hash` in the history of `division`
    /// (as the caller read it; its canonical JSON: their sha256 is `hash`), with the newest
    /// version that has it.
    ///
    /// # Errors
    /// [`VersionError::UnknownBracket`] when no version has it; a missing or corrupt blob.
    pub async fn bracket_by_hash(
        &self,
        division: &Division,
        hash: &ContentHash,
    ) -> Result<(u32, Vec<u8>), Error> {
        let record = division
            .history
            .versions()
            .iter()
            .rev()
            .find(|record| &record.hash == hash)
            .ok_or_else(|| VersionError::UnknownBracket {
                hash: hash.to_string(),
            })?;
        Ok((record.number, self.verified_blob(record).await?))
    }

    /// Points `tag` at version `number`. `current` moves only before the bracket is locked,
    /// and the division's bracket follows it.
    ///
    /// # Errors
    /// [`ServiceError::CurrentFrozen`]; [`VersionError::UnknownVersion`]; a conflict.
    pub async fn move_tag(
        &self,
        id: &DivisionId,
        tag: TagName,
        number: u32,
    ) -> Result<(Stored<Division>, Vec<Event>), Error> {
        let now = self.clock().now();
        self.change_tags(id, |history, _| history.move_tag(tag, number, now))
            .await
    }

    /// Undoes the division's newest tag step still undoable, whichever tag it moved
    /// (division-wide undo; see [`crate::version::tags`]).
    ///
    /// # Errors
    /// [`VersionError::NothingToUndo`]; [`ServiceError::CurrentFrozen`]; a conflict.
    pub async fn undo_tag(&self, id: &DivisionId) -> Result<(Stored<Division>, Vec<Event>), Error> {
        let now = self.clock().now();
        self.change_tags(id, |history, _| history.undo(now)).await
    }

    /// Redoes the division's most recently undone tag step still redoable, whichever tag it
    /// moved (division-wide redo).
    ///
    /// # Errors
    /// [`VersionError::NothingToRedo`]; [`ServiceError::CurrentFrozen`];
    /// [`VersionError::ProtectedTag`] for the redo of a deletion of a tag now protected; a
    /// conflict.
    pub async fn redo_tag(&self, id: &DivisionId) -> Result<(Stored<Division>, Vec<Event>), Error> {
        let now = self.clock().now();
        self.change_tags(id, |history, _| history.redo(now)).await
    }

    /// Undoes `tag`'s last move, deletion or redo; other tags keep their undo and redo.
    ///
    /// # Errors
    /// [`VersionError::UnknownTag`] for a tag that never existed;
    /// [`VersionError::NothingToUndo`]; [`ServiceError::CurrentFrozen`]; a conflict.
    pub async fn undo_tag_of(
        &self,
        id: &DivisionId,
        tag: &TagName,
    ) -> Result<(Stored<Division>, Vec<Event>), Error> {
        let now = self.clock().now();
        self.change_tags(id, |history, _| {
            history.known(tag)?;
            history.undo_tag(tag, now)
        })
        .await
    }

    /// Redoes `tag`'s last undone step; other tags keep their undo and redo.
    ///
    /// # Errors
    /// [`VersionError::UnknownTag`] for a tag that never existed;
    /// [`VersionError::NothingToRedo`]; [`ServiceError::CurrentFrozen`];
    /// [`VersionError::ProtectedTag`] for the redo of a deletion of a tag now protected; a
    /// conflict.
    pub async fn redo_tag_of(
        &self,
        id: &DivisionId,
        tag: &TagName,
    ) -> Result<(Stored<Division>, Vec<Event>), Error> {
        let now = self.clock().now();
        self.change_tags(id, |history, _| {
            history.known(tag)?;
            history.redo_tag(tag, now)
        })
        .await
    }

    /// Deletes `tag`, logged as `tag.moved` with `to: null`; the deletion is in the tag's
    /// reflog and undoable. `current` and every tag of the locked version are protected
    /// ([`crate::version::Protection`]).
    ///
    /// # Errors
    /// [`VersionError::UnknownTag`] for a tag that points nowhere;
    /// [`VersionError::ProtectedTag`] (nothing changes); a conflict.
    pub async fn delete_tag(
        &self,
        id: &DivisionId,
        tag: &TagName,
    ) -> Result<(Stored<Division>, Vec<Event>), Error> {
        let now = self.clock().now();
        self.change_tags(id, |history, locked| history.delete_tag(tag, locked, now))
            .await
    }

    /// Applies one tag step to the division's history; `change` gets the locked version.
    /// A step that deletes a protected tag (a redone deletion) is refused, `current` moves
    /// only before the lock and the bracket follows it. A refusal changes nothing.
    async fn change_tags(
        &self,
        id: &DivisionId,
        change: impl FnOnce(&mut crate::version::History, Option<u32>) -> Result<TagMove, VersionError>,
    ) -> Result<(Stored<Division>, Vec<Event>), Error> {
        let Stored { version, mut value } = self.division(id).await?;
        let locked = locked_version(&value);
        let step = change(&mut value.history, locked)?;
        step.check_protection(locked)?;
        if step.tag == TagName::current() {
            if !matches!(value.state, BracketState::Draft | BracketState::Ready) {
                return Err(ServiceError::CurrentFrozen {
                    division: id.to_string(),
                    state: value.state.to_string(),
                }
                .into());
            }
            value.bracket = match step.to {
                Some(number) => Some(self.load_version(&value, number).await?),
                None => None,
            };
            value.state = if value.bracket.is_some() {
                BracketState::Ready
            } else {
                BracketState::Draft
            };
        }
        let data = vec![tag_moved(id, &step)];
        self.save_division(value, version, Vec::new(), data).await
    }

    async fn load_version(&self, division: &Division, number: u32) -> Result<Bracket, Error> {
        let record = division
            .history
            .version(number)
            .ok_or(VersionError::UnknownVersion { number })?;
        let bytes = self.verified_blob(record).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            VersionError::CorruptBlob {
                hash: record.hash.to_string(),
                reason: e.to_string(),
            }
            .into()
        })
    }

    /// The stored bytes of a version's bracket, checked against its hash.
    async fn verified_blob(&self, record: &VersionRecord) -> Result<Vec<u8>, Error> {
        let bytes =
            self.store()
                .blob(&record.hash)
                .await?
                .ok_or_else(|| ServiceError::MissingBlob {
                    version: record.number,
                    hash: record.hash.to_string(),
                })?;
        if ContentHash::of(&bytes) != record.hash {
            return Err(VersionError::CorruptBlob {
                hash: record.hash.to_string(),
                reason: "content does not match its hash".to_owned(),
            }
            .into());
        }
        Ok(bytes)
    }

    async fn save_division(
        &self,
        value: Division,
        expected: u64,
        blobs: Vec<(ContentHash, Vec<u8>)>,
        data: Vec<EventData>,
    ) -> Result<(Stored<Division>, Vec<Event>), Error> {
        self.save_division_completing(value, expected, blobs, data, None)
            .await
    }

    /// [`Self::save_division`], completing `job` (id, worker holding it) in the same commit.
    async fn save_division_completing(
        &self,
        value: Division,
        expected: u64,
        blobs: Vec<(ContentHash, Vec<u8>)>,
        data: Vec<EventData>,
        job: Option<(JobId, String)>,
    ) -> Result<(Stored<Division>, Vec<Event>), Error> {
        let version = next_version(expected);
        let aggregate = AggregateRef::Division(value.id.clone());
        let now = self.clock().now();
        // A job completes as a run, with the snapshot index of what it read and wrote.
        let completed_runs = job
            .map(|(job, worker)| CompletedRun {
                job,
                worker,
                index: SnapshotIndex {
                    read: vec![SnapshotEntry::Aggregate {
                        aggregate: aggregate.clone(),
                        version: expected,
                    }],
                    wrote: blobs
                        .iter()
                        .map(|(hash, _)| SnapshotEntry::Blob { hash: hash.clone() })
                        .chain([SnapshotEntry::Aggregate {
                            aggregate: aggregate.clone(),
                            version,
                        }])
                        .collect(),
                },
                finished_at: now,
            })
            .into_iter()
            .collect();
        let commit = Commit {
            writes: vec![Write::Division {
                value: value.clone(),
                expected: Some(expected),
            }],
            blobs,
            completed_runs,
            ..Commit::default()
        };
        let events = self
            .commit_with_events(commit, &aggregate, version, now, data)
            .await?;
        Ok((Stored { version, value }, events))
    }
}

/// The version a locked (or completed) bracket was locked at: the one `current` names, which
/// no longer moves; `None` before the lock.
pub fn locked_version(division: &Division) -> Option<u32> {
    matches!(
        division.state,
        BracketState::Locked | BracketState::Completed
    )
    .then(|| division.history.tag(&TagName::current()))
    .flatten()
}

/// `tag` of `division` as it stands: where it points, its undo and redo, its protection.
///
/// # Errors
/// [`VersionError::UnknownTag`] for a tag that never existed.
pub fn tag_status(division: &Division, tag: &TagName) -> Result<TagStatus, VersionError> {
    division.history.tag_status(tag, locked_version(division))
}

fn current_of(division: &Division) -> Result<(u32, &Bracket), ServiceError> {
    let no_bracket = || ServiceError::NoBracket {
        division: division.id.to_string(),
    };
    let number = division
        .history
        .tag(&TagName::current())
        .ok_or_else(no_bracket)?;
    let bracket = division.bracket.as_ref().ok_or_else(no_bracket)?;
    Ok((number, bracket))
}

fn tag_moved(division: &DivisionId, step: &TagMove) -> EventData {
    EventData::TagMoved {
        division: division.clone(),
        tag: step.tag.clone(),
        from: step.from,
        to: step.to,
    }
}

fn addressed(bracket: &Bracket) -> Result<(ContentHash, Vec<u8>), VersionError> {
    let bytes = canonical_json(bracket)?;
    Ok((ContentHash::of(&bytes), bytes))
}
