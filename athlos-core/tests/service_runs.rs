//! Cancelling a run through the service: who may (administrators for a run of no event, the
//! event's director for its runs), the store's rule applied, an unknown run refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::access::{Principal, Refusal};
use athlos_core::clock::ManualClock;
use athlos_core::error::Error;
use athlos_core::id::CompetitionId;
use athlos_core::service::{Service, ServiceError};
use athlos_core::store::{CancelOutcome, JobId, JobState, JobStore, MemoryStore, NewJob};
use chrono::{TimeZone, Utc};

#[tokio::test]
async fn runs_are_cancelled_by_who_may() {
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 18, 0, 0).unwrap();
    let service = Service::new(MemoryStore::new(), ManualClock::new(now));
    service
        .create_competition_with(
            CompetitionId::new("cup").unwrap(),
            "Cup",
            Some("td".to_owned()),
        )
        .await
        .unwrap();
    let of_event = service
        .store()
        .enqueue(NewJob::new(
            "generate_bracket",
            serde_json::json!({"event": "cup"}),
            now,
        ))
        .await
        .unwrap();
    let of_nobody = service
        .store()
        .enqueue(NewJob::new("replay", serde_json::json!({}), now))
        .await
        .unwrap();
    let td = Principal::new("td", false);
    let other = Principal::new("other", false);
    let admin = Principal::new("root", true);

    // Another director: refused, the run untouched.
    let refused = service.cancel_run(&other, of_event.id).await.unwrap();
    assert_eq!(refused.unwrap_err(), Refusal::NotDirector);
    let job = service.store().job(of_event.id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Queued);
    // The event's director: cancelled at once (queued).
    let done = service.cancel_run(&td, of_event.id).await.unwrap().unwrap();
    assert_eq!(done.outcome, CancelOutcome::Cancelled);
    assert_eq!(done.job.state, JobState::Cancelled);

    // A run of no event: administrators only.
    let refused = service.cancel_run(&td, of_nobody.id).await.unwrap();
    assert_eq!(refused.unwrap_err(), Refusal::NotDirector);
    let done = service
        .cancel_run(&admin, of_nobody.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.outcome, CancelOutcome::Cancelled);

    let unknown = service.cancel_run(&admin, JobId(999)).await.unwrap_err();
    assert!(
        matches!(
            unknown,
            Error::Service(ServiceError::UnknownRun { id: 999 })
        ),
        "{unknown:?}"
    );
}
