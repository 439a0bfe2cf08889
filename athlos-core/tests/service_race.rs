//! Concurrency through the service: two tasks racing on one aggregate, and random use-case
//! sequences whose event log replays to the stored state.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use async_trait::async_trait;
use athlos_core::account::{PasswordHash, SecretHash, Session, User, Username, UsernameClaim};
use athlos_core::bracket::{BracketOptions, Format, MatchResult, MatchStatus};
use athlos_core::chat::TournamentChat;
use athlos_core::clock::ManualClock;
use athlos_core::competition::{Competition, Division};
use athlos_core::draft::DraftRecord;
use athlos_core::draft::{Command, DraftConfig, DraftSettings, Player, Position, RosterPosition};
use athlos_core::error::{Error, StoreError};
use athlos_core::event::{Event, EventData, EventType};
use athlos_core::id::{CompetitionId, DivisionId, DraftId, TournamentId, UserId};
use athlos_core::lifecycle::draft::PickOrder;
use athlos_core::lifecycle::{DraftState, TournamentState};
use athlos_core::model::Participant;
use athlos_core::model::ParticipantId;
use athlos_core::service::pick_clock;
use athlos_core::service::{NewAccount, Service};
use athlos_core::store::WebhookStore;
use athlos_core::store::{
    AggregateRef, AggregateStore, BlobStore, Commit, Deadline, DeadlineKey, DeadlineStore,
    EventLog, Job, JobId, JobState, JobStore, LoggedEvent, MemoryStore, NewJob, Receipt, Store,
    Stored,
};
use athlos_core::tournament::{Tournament, TournamentRules};
use athlos_core::version::ContentHash;
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

/// A memory store that yields to the executor after every read, so that two use cases on one
/// thread interleave between their load and their commit, as two server tasks would.
#[derive(Debug, Default)]
struct YieldingStore(MemoryStore);

#[async_trait]
impl AggregateStore for YieldingStore {
    async fn tombstone(
        &self,
        aggregate: &AggregateRef,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        self.0.tombstone(aggregate).await
    }
    async fn version(&self, aggregate: &AggregateRef) -> Result<Option<u64>, StoreError> {
        self.0.version(aggregate).await
    }
    async fn competition(
        &self,
        id: &CompetitionId,
    ) -> Result<Option<Stored<Competition>>, StoreError> {
        let found = self.0.competition(id).await;
        tokio::task::yield_now().await;
        found
    }
    async fn division(&self, id: &DivisionId) -> Result<Option<Stored<Division>>, StoreError> {
        let found = self.0.division(id).await;
        tokio::task::yield_now().await;
        found
    }
    async fn tournament(
        &self,
        id: &TournamentId,
    ) -> Result<Option<Stored<Tournament>>, StoreError> {
        let found = self.0.tournament(id).await;
        tokio::task::yield_now().await;
        found
    }
    async fn tournaments(
        &self,
        state: Option<TournamentState>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<Tournament>>, StoreError> {
        self.0.tournaments(state, limit, offset).await
    }
    async fn competitions(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<Competition>>, StoreError> {
        self.0.competitions(limit, offset).await
    }
    async fn draft(&self, id: &DraftId) -> Result<Option<Stored<DraftRecord>>, StoreError> {
        let found = self.0.draft(id).await;
        tokio::task::yield_now().await;
        found
    }
    async fn drafts(
        &self,
        state: Option<DraftState>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<DraftRecord>>, StoreError> {
        self.0.drafts(state, limit, offset).await
    }
    async fn user(&self, id: &UserId) -> Result<Option<Stored<User>>, StoreError> {
        let found = self.0.user(id).await;
        tokio::task::yield_now().await;
        found
    }
    async fn username_claim(
        &self,
        folded: &Username,
    ) -> Result<Option<Stored<UsernameClaim>>, StoreError> {
        let found = self.0.username_claim(folded).await;
        tokio::task::yield_now().await;
        found
    }
    async fn session(&self, key: &SecretHash) -> Result<Option<Stored<Session>>, StoreError> {
        self.0.session(key).await
    }
    async fn chat(
        &self,
        tournament: &TournamentId,
    ) -> Result<Option<Stored<TournamentChat>>, StoreError> {
        let found = self.0.chat(tournament).await;
        tokio::task::yield_now().await;
        found
    }
}

#[async_trait]
impl BlobStore for YieldingStore {
    async fn blob(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.blob(hash).await
    }
}

#[async_trait]
impl EventLog for YieldingStore {
    async fn events_after(&self, after: u64, limit: usize) -> Result<Vec<LoggedEvent>, StoreError> {
        self.0.events_after(after, limit).await
    }
    async fn last_sequence(&self) -> Result<u64, StoreError> {
        self.0.last_sequence().await
    }
}

#[async_trait]
impl JobStore for YieldingStore {
    async fn enqueue(&self, job: NewJob) -> Result<Job, StoreError> {
        self.0.enqueue(job).await
    }
    async fn claim(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.0.claim(worker, now, lease_until, limit).await
    }
    async fn complete(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
        self.0.complete(id, worker).await
    }
    async fn fail(
        &self,
        id: JobId,
        worker: &str,
        error: String,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        self.0.fail(id, worker, error, retry_at, now).await
    }
    async fn job(&self, id: JobId) -> Result<Option<Job>, StoreError> {
        self.0.job(id).await
    }
    async fn job_by_key(&self, key: &str) -> Result<Option<Job>, StoreError> {
        self.0.job_by_key(key).await
    }
    async fn jobs(
        &self,
        state: Option<JobState>,
        after: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.0.jobs(state, after, limit).await
    }
    async fn runs(
        &self,
        filter: &athlos_core::store::RunFilter,
        after: Option<JobId>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.0.runs(filter, after, limit).await
    }
    async fn request_cancel(
        &self,
        id: JobId,
        now: DateTime<Utc>,
    ) -> Result<athlos_core::store::Cancellation, StoreError> {
        self.0.request_cancel(id, now).await
    }
    async fn sweep_cancelled(&self, now: DateTime<Utc>) -> Result<Vec<Job>, StoreError> {
        self.0.sweep_cancelled(now).await
    }
    async fn heartbeat(
        &self,
        id: JobId,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Job, StoreError> {
        self.0.heartbeat(id, worker, lease_until).await
    }
    async fn complete_all(&self, ids: &[JobId], worker: &str) -> Result<Vec<JobId>, StoreError> {
        self.0.complete_all(ids, worker).await
    }
    async fn release(&self, id: JobId, worker: &str) -> Result<Job, StoreError> {
        self.0.release(id, worker).await
    }
    async fn requeue(&self, id: JobId, run_at: DateTime<Utc>) -> Result<Job, StoreError> {
        self.0.requeue(id, run_at).await
    }
    async fn claim_kinds(
        &self,
        worker: &str,
        kinds: &[String],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        self.0
            .claim_kinds(worker, kinds, now, lease_until, limit)
            .await
    }

    async fn queue_stats(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<athlos_core::store::QueueStat>, StoreError> {
        self.0.queue_stats(now).await
    }
}

#[async_trait]
impl DeadlineStore for YieldingStore {
    async fn set_deadline(&self, deadline: Deadline) -> Result<(), StoreError> {
        self.0.set_deadline(deadline).await
    }
    async fn clear_deadline(&self, key: &DeadlineKey) -> Result<(), StoreError> {
        self.0.clear_deadline(key).await
    }
    async fn due_deadlines(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deadline>, StoreError> {
        self.0.due_deadlines(now, limit).await
    }
    async fn deadline(&self, key: &DeadlineKey) -> Result<Option<Deadline>, StoreError> {
        self.0.deadline(key).await
    }
    async fn claim_deadlines(
        &self,
        scheduler: &str,
        now: DateTime<Utc>,
        claim_until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Deadline>, StoreError> {
        self.0
            .claim_deadlines(scheduler, now, claim_until, limit)
            .await
    }
    async fn next_deadline(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.0.next_deadline().await
    }
}

#[async_trait]
impl Store for YieldingStore {
    async fn commit(&self, commit: Commit) -> Result<Receipt, StoreError> {
        self.0.commit(commit).await
    }
    async fn delete(
        &self,
        aggregate: &AggregateRef,
        expected: u64,
        events: Vec<(AggregateRef, Event)>,
    ) -> Result<Receipt, StoreError> {
        self.0.delete(aggregate, expected, events).await
    }
}

#[async_trait]
impl WebhookStore for YieldingStore {
    async fn create_webhook(
        &self,
        webhook: athlos_core::store::NewWebhook,
    ) -> Result<athlos_core::store::Webhook, StoreError> {
        self.0.create_webhook(webhook).await
    }

    async fn webhook(&self, id: u64) -> Result<Option<athlos_core::store::Webhook>, StoreError> {
        self.0.webhook(id).await
    }

    async fn webhooks(
        &self,
        scope: Option<&AggregateRef>,
    ) -> Result<Vec<athlos_core::store::Webhook>, StoreError> {
        self.0.webhooks(scope).await
    }

    async fn update_webhook(
        &self,
        id: u64,
        patch: athlos_core::store::WebhookPatch,
    ) -> Result<Option<athlos_core::store::Webhook>, StoreError> {
        self.0.update_webhook(id, patch).await
    }

    async fn delete_webhook(&self, id: u64) -> Result<bool, StoreError> {
        self.0.delete_webhook(id).await
    }

    async fn webhook_cursor(&self) -> Result<u64, StoreError> {
        self.0.webhook_cursor().await
    }

    async fn record_deliveries(
        &self,
        from: u64,
        to: u64,
        deliveries: Vec<athlos_core::store::NewDelivery>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.0.record_deliveries(from, to, deliveries, now).await
    }

    async fn delivery(&self, id: u64) -> Result<Option<athlos_core::store::Delivery>, StoreError> {
        self.0.delivery(id).await
    }

    async fn deliveries(
        &self,
        webhook: u64,
        state: Option<athlos_core::store::DeliveryState>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<athlos_core::store::Delivery>, StoreError> {
        self.0.deliveries(webhook, state, after, limit).await
    }

    async fn finish_delivery(
        &self,
        id: u64,
        job: JobId,
        outcome: athlos_core::store::AttemptOutcome,
        now: DateTime<Utc>,
    ) -> Result<Option<athlos_core::store::Delivery>, StoreError> {
        self.0.finish_delivery(id, job, outcome, now).await
    }

    async fn record_attempt(
        &self,
        id: u64,
        job: JobId,
        attempt: athlos_core::store::Attempt,
        now: DateTime<Utc>,
    ) -> Result<Option<athlos_core::store::Recorded>, StoreError> {
        self.0.record_attempt(id, job, attempt, now).await
    }

    async fn record_attempts(
        &self,
        job: JobId,
        run: athlos_core::store::AttemptRun,
        now: DateTime<Utc>,
    ) -> Result<Option<athlos_core::store::RecordedRun>, StoreError> {
        self.0.record_attempts(job, run, now).await
    }

    async fn redeliver(
        &self,
        webhook: u64,
        delivery: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<Vec<athlos_core::store::Delivery>, StoreError> {
        self.0.redeliver(webhook, delivery, now).await
    }
}

fn clock() -> ManualClock {
    ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap())
}

fn rules(max_entries: Option<usize>) -> TournamentRules {
    TournamentRules {
        options: BracketOptions::new(Format::SingleElimination),
        min_entries: 2,
        max_entries,
        seed: 5,
        swiss: None,
    }
}

fn entry(i: usize) -> Participant {
    Participant::new(format!("e{i}"), format!("Entry {i}")).unwrap()
}

#[tokio::test]
async fn two_sign_ups_racing_for_one_username_leave_one_account() {
    let service = Service::new(YieldingStore::default(), clock());
    let sign_up = |id: &str, username: &str| NewAccount {
        id: UserId::new(id).unwrap(),
        username: username.to_owned(),
        display_name: username.to_owned(),
        password_hash: PasswordHash::new("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA").unwrap(),
    };
    // Both read "no claim" before either commits: the claim written at version 0 decides.
    let (a, b) = tokio::join!(
        service.create_account(sign_up("u1", "Dana")),
        service.create_account(sign_up("u2", "dana"))
    );
    let (winner, loser) = match (a, b) {
        (Ok(_), Err(lost)) => ("u1", ("u2", lost)),
        (Err(lost), Ok(_)) => ("u2", ("u1", lost)),
        (a, b) => panic!("exactly one sign-up must win: {a:?} {b:?}"),
    };
    assert_eq!(loser.1.code(), "username_taken");
    let lost = service.store().0.user(&UserId::new(loser.0).unwrap()).await;
    assert!(lost.unwrap().is_none());
    let holder = service.user_by_username("DANA").await.unwrap().unwrap();
    assert_eq!(holder.value.id.as_str(), winner);
}

#[tokio::test]
async fn two_tasks_joining_at_once_one_wins_the_other_conflicts() {
    let service = Service::new(YieldingStore::default(), clock());
    let id = TournamentId::new("race").unwrap();
    service
        .create_tournament(id.clone(), "Race", rules(None))
        .await
        .unwrap();
    service.publish(&id).await.unwrap();
    let log_before = service.store().events_after(0, 100).await.unwrap();

    let (a, b) = tokio::join!(service.join(&id, entry(1)), service.join(&id, entry(2)));
    let (winner, error) = match (a, b) {
        (Ok(change), Err(error)) | (Err(error), Ok(change)) => (change, error),
        other => panic!("expected exactly one winner: {other:?}"),
    };
    assert!(
        matches!(error, Error::Store(StoreError::Conflict { .. })),
        "{error}"
    );
    let stored = service.tournament(&id).await.unwrap();
    assert_eq!(stored, winner.tournament);
    assert_eq!(stored.value.entries.len(), 1);
    assert_eq!(
        service.store().events_after(0, 100).await.unwrap(),
        log_before
    );

    // Two racing starts: one start, one conflict, and the round is opened exactly once.
    service.join(&id, entry(3)).await.unwrap();
    let (a, b) = tokio::join!(service.start(&id), service.start(&id));
    assert_eq!(usize::from(a.is_ok()) + usize::from(b.is_ok()), 1);
    let log = service.store().events_after(0, 100).await.unwrap();
    let rounds = log
        .iter()
        .filter(|e| e.event.event_type() == EventType::RoundStarted)
        .count();
    assert_eq!(rounds, 1);
}

#[tokio::test]
async fn chat_posts_racing_each_other_all_land_with_their_own_numbers() {
    let service = Service::new(YieldingStore::default(), clock());
    let id = TournamentId::new("chatty").unwrap();
    service
        .create_tournament(id.clone(), "Chatty", rules(None))
        .await
        .unwrap();
    service.publish(&id).await.unwrap();
    for i in 1..=3 {
        service.join(&id, entry(i)).await.unwrap();
    }
    let who = |i: usize| athlos_core::access::Principal::new(format!("e{i}"), false);
    // Each reads the chat before the others commit: the losers decide again.
    let (one, two, three) = (who(1), who(2), who(3));
    let (a, b, c) = tokio::join!(
        service.post_chat(&id, &one, "one"),
        service.post_chat(&id, &two, "two"),
        service.post_chat(&id, &three, "three")
    );
    let mut numbers = vec![
        a.unwrap().message.id,
        b.unwrap().message.id,
        c.unwrap().message.id,
    ];
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 2, 3]);
    let chat = service.chat(&id).await.unwrap();
    assert_eq!(chat.version, 3);
    assert_eq!(chat.value.messages.len(), 3);
}

/// Two teams, two rounds, one position; ranks follow the number in the id.
fn draft_settings(id: &str) -> DraftSettings {
    let fw = Position::new("FW").unwrap();
    DraftSettings::new(DraftConfig {
        id: DraftId::new(id).unwrap(),
        teams: 2,
        rounds: 2,
        order: PickOrder::Snake,
        seconds_per_pick: 30,
        roster: vec![RosterPosition {
            position: fw.clone(),
            starters: 1,
            max: None,
        }],
        pool: (0..6)
            .map(|i| Player {
                id: ParticipantId::new(format!("p{i}")).unwrap(),
                position: fw.clone(),
                rank: i,
            })
            .collect(),
    })
    .unwrap()
}

/// The stored pick clock matches the stored draft: armed with its sequence while a clock
/// runs, absent otherwise.
async fn assert_clock_matches(service: &Service<YieldingStore, ManualClock>, id: &DraftId) {
    let stored = service.draft(id).await.unwrap().value.draft;
    let deadline = service.store().deadline(&pick_clock(id)).await.unwrap();
    match stored.next_deadline() {
        Some(next) => {
            let deadline = deadline.expect("a running clock has a deadline");
            assert_eq!((deadline.due, deadline.sequence), (next.at, next.sequence));
        }
        None => assert_eq!(deadline, None, "state {}", stored.state()),
    }
}

#[tokio::test]
async fn a_draft_keeps_its_pick_clock_in_the_store_through_every_change() {
    let service = Service::new(YieldingStore::default(), clock());
    let id = DraftId::new("league").unwrap();
    let created = service
        .create_draft(draft_settings("league"), "commish", Vec::new())
        .await
        .unwrap();
    assert_eq!(created.value.managers, vec![None, None]);
    assert_clock_matches(&service, &id).await;
    let error = service
        .create_draft(draft_settings("other"), "commish", vec![Some("a".into())])
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "draft \"other\" has 2 teams but 1 managers were given"
    );
    for command in [Command::Start, Command::Pause, Command::Resume] {
        service.draft_command(&id, &command).await.unwrap();
        assert_clock_matches(&service, &id).await;
    }
    // The clock runs out: the scheduler's commit auto-picks and re-arms.
    service.clock().advance(chrono::Duration::seconds(30));
    let deadline = service
        .store()
        .deadline(&pick_clock(&id))
        .await
        .unwrap()
        .unwrap();
    let mut commit = service.pick_clock_commit(&deadline).await.unwrap();
    commit.fired_deadlines.push(deadline.clone());
    service.store().commit(commit).await.unwrap();
    assert_clock_matches(&service, &id).await;
    // The same deadline again is stale: an empty commit that the fence refuses.
    let stale = service.pick_clock_commit(&deadline).await.unwrap();
    assert_eq!(stale, Commit::default());
    // A refused command changes nothing.
    let before = service.draft(&id).await.unwrap();
    let refused = Command::Pick {
        pick: 1,
        team: 0,
        player: ParticipantId::new("p1").unwrap(),
    };
    assert!(service.draft_command(&id, &refused).await.is_err());
    assert_eq!(service.draft(&id).await.unwrap(), before);
    // Play to the end: the clock is cleared.
    for (pick, team, player) in [(2, 1, "p1"), (3, 1, "p2"), (4, 0, "p3")] {
        let command = Command::Pick {
            pick,
            team,
            player: ParticipantId::new(player).unwrap(),
        };
        service.draft_command(&id, &command).await.unwrap();
        assert_clock_matches(&service, &id).await;
    }
    let done = service.draft(&id).await.unwrap().value;
    assert_eq!(done.draft.state(), DraftState::Completed);
    assert_eq!(
        service
            .drafts(Some(DraftState::Completed), 10, 0)
            .await
            .unwrap()
            .len(),
        1
    );
    // The log replays to the stored draft.
    let log: Vec<Event> = service
        .store()
        .events_after(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|logged| logged.event)
        .collect();
    let replayed = athlos_core::draft::Draft::replay(draft_settings("league"), &log).unwrap();
    assert_eq!(replayed, done.draft);
}

#[tokio::test]
async fn a_manual_pick_racing_the_pick_clock_lets_exactly_one_take_the_pick() {
    for manual_first in [true, false] {
        let service = Service::new(YieldingStore::default(), clock());
        let id = DraftId::new("race").unwrap();
        service
            .create_draft(draft_settings("race"), "commish", Vec::new())
            .await
            .unwrap();
        service.draft_command(&id, &Command::Start).await.unwrap();
        service.clock().advance(chrono::Duration::seconds(30));
        let deadline = service
            .store()
            .deadline(&pick_clock(&id))
            .await
            .unwrap()
            .unwrap();
        let manual = Command::Pick {
            pick: 1,
            team: 0,
            player: ParticipantId::new("p4").unwrap(),
        };
        let timeout = async {
            let mut commit = service.pick_clock_commit(&deadline).await?;
            commit.fired_deadlines.push(deadline.clone());
            service.store().commit(commit).await?;
            Ok::<(), Error>(())
        };
        let (pick, fired) = if manual_first {
            tokio::join!(service.draft_command(&id, &manual), timeout)
        } else {
            let (fired, pick) = tokio::join!(timeout, service.draft_command(&id, &manual));
            (pick, fired)
        };
        assert_eq!(
            usize::from(pick.is_ok()) + usize::from(fired.is_ok()),
            1,
            "manual first: {manual_first}: {pick:?} {fired:?}"
        );
        let draft = service.draft(&id).await.unwrap().value.draft;
        assert_eq!(draft.picks().len(), 1);
        assert_eq!(draft.picks()[0].auto, fired.is_ok());
        let log = service.store().events_after(0, 100).await.unwrap();
        let picks = log
            .iter()
            .filter(|e| {
                matches!(
                    e.event.event_type(),
                    EventType::DraftPickMade | EventType::DraftAutopicked
                )
            })
            .count();
        assert_eq!(picks, 1);
        assert_clock_matches(&service, &id).await;
    }
}

#[derive(Debug, Clone, Copy)]
enum Call {
    Publish,
    Join(usize),
    Withdraw(usize),
    Start,
    Play,
    Advance,
    Cancel,
    Archive,
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        1 => Just(Call::Publish),
        2 => (0usize..8).prop_map(Call::Join),
        1 => (0usize..8).prop_map(Call::Withdraw),
        1 => Just(Call::Start),
        4 => Just(Call::Play),
        2 => Just(Call::Advance),
        1 => Just(Call::Cancel),
        1 => Just(Call::Archive),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_committed_event_is_logged_and_the_log_replays_the_state(
        calls in prop::collection::vec(call(), 0..60),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let service = Service::new(MemoryStore::new(), clock());
            let id = TournamentId::new("t").unwrap();
            service.create_tournament(id.clone(), "T", rules(Some(6))).await.unwrap();
            let mut returned = Vec::new();
            for call in calls {
                let before = service.tournament(&id).await.unwrap();
                let outcome = match call {
                    Call::Publish => service.publish(&id).await,
                    Call::Join(i) => service.join(&id, entry(i)).await,
                    Call::Withdraw(i) => service.withdraw(&id, &entry(i).id).await,
                    Call::Start => service.start(&id).await,
                    Call::Advance => service.advance(&id).await,
                    Call::Cancel => service.cancel(&id).await,
                    Call::Archive => service.archive(&id).await,
                    Call::Play => {
                        let t = before.value.clone();
                        let ready = t.bracket().and_then(|b| {
                            b.matches()
                                .iter()
                                .find(|m| m.round == t.round && m.status == MatchStatus::Ready)
                                .map(|m| (m.id, m.participant(0).cloned()))
                        });
                        match ready {
                            Some((match_id, Some(winner))) => {
                                service.record_result(&id, match_id, MatchResult::win(winner)).await
                            }
                            _ => continue,
                        }
                    }
                };
                match outcome {
                    Ok(change) => {
                        prop_assert_eq!(change.tournament.version, before.version + 1);
                        prop_assert!(change.events.iter().all(|e| e.version == change.tournament.version));
                        returned.extend(change.events);
                    }
                    // A refusal changes nothing.
                    Err(_) => prop_assert_eq!(service.tournament(&id).await.unwrap(), before),
                }
            }
            let log: Vec<_> = service
                .store()
                .events_after(0, 10_000)
                .await
                .unwrap()
                .into_iter()
                .map(|logged| logged.event)
                .collect();
            prop_assert_eq!(&log, &returned, "no event lost, none invented");
            let mut state = TournamentState::Draft;
            let mut round = 0;
            for event in &log {
                match event.data {
                    EventData::TournamentStateChanged { from, to, .. } => {
                        prop_assert_eq!(from, state);
                        state = to;
                    }
                    EventData::RoundStarted { round: r, .. } => round = r,
                    _ => {}
                }
            }
            let stored = service.tournament(&id).await.unwrap().value;
            prop_assert_eq!(state, stored.state);
            prop_assert_eq!(round, stored.round);
            Ok(())
        })?;
    }
}
