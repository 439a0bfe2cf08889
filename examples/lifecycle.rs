//! A judo event end to end through the service layer, on the in-memory store with a manual
//! clock: two divisions, generate, preview with `max_seeds` changed and print the diff, lock,
//! play one division to the end, and print the event log.
//!
//! `cargo run -p athlos-examples --example lifecycle`

use std::error::Error;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use athlos_core::bracket::{BracketOptions, Format, MatchResult, MatchStatus};
use athlos_core::clock::ManualClock;
use athlos_core::competition::DivisionRules;
use athlos_core::diff::Overrides;
use athlos_core::id::{CompetitionId, DivisionId};
use athlos_core::import::participants_from_csv;
use athlos_core::service::Service;
use athlos_core::store::{EventLog, MemoryStore};
use chrono::{Duration, TimeZone, Utc};

fn main() -> Result<(), Box<dyn Error>> {
    block_on(run())
}

async fn run() -> Result<(), Box<dyn Error>> {
    let start = Utc
        .with_ymd_and_hms(2026, 11, 23, 9, 0, 0)
        .single()
        .ok_or("invalid start time")?;
    let service = Service::new(MemoryStore::new(), ManualClock::new(start));
    let field = participants_from_csv(include_str!("data/judo27.csv"))?;
    let (first, second) = field.split_at(14);

    let event = CompetitionId::new("european-open-2026")?;
    service
        .create_competition(event.clone(), "European Open 2026")
        .await?;
    let mut options = BracketOptions::new(Format::Repechage);
    options.max_seeds = Some(4);
    let divisions = [
        (DivisionId::new("m66")?, "Men -66 kg", first.to_vec()),
        (DivisionId::new("m73")?, "Men -73 kg", second.to_vec()),
    ];
    for (id, name, entries) in &divisions {
        let rules = DivisionRules {
            options: options.clone(),
            seed: 2026,
        };
        service
            .create_division(&event, id.clone(), *name, rules)
            .await?;
        service.add_participants(id, entries.clone()).await?;
        let generated = service.generate(id).await?;
        println!(
            "{name}: version {} generated",
            generated.division.value.history.versions().len()
        );
    }

    let m73 = &divisions[1].0;
    let overrides: Overrides = serde_json::from_str(r#"{"rules": {"max_seeds": 8}}"#)?;
    let preview = service.preview(m73, &overrides).await?;
    println!(
        "\npreview of {m73} with max_seeds 8: {} entries moved, {} pairings changed, quality score {}",
        preview.diff.moved.len(),
        preview.diff.pairings.len(),
        preview.report.score
    );
    println!("{}", preview.text);

    service.clock().advance(Duration::minutes(30));
    service.lock(m73).await?;
    loop {
        let division = service.division(m73).await?.value;
        let Some(bracket) = division.bracket else {
            break;
        };
        let Some(next) = bracket
            .matches()
            .iter()
            .find(|m| m.status == MatchStatus::Ready)
        else {
            break;
        };
        // The better-placed entry (earlier in the field's seed order) wins.
        let position = |side: usize| {
            next.participant(side)
                .and_then(|id| bracket.participants().iter().position(|p| p.id == *id))
        };
        let side = if position(0) <= position(1) { 0 } else { 1 };
        let winner = next
            .participant(side)
            .ok_or("ready match without both sides")?;
        service.clock().advance(Duration::minutes(4));
        service
            .record_division_result(m73, next.id, MatchResult::win(winner.clone()))
            .await?;
    }
    println!(
        "{m73} is {}\n\nevents:",
        service.division(m73).await?.value.state
    );
    for logged in service.store().events_after(0, 1000).await? {
        println!("{}", serde_json::to_string(&logged.event)?);
    }
    Ok(())
}

/// Runs a future on this thread. The memory store never waits, so a minimal executor that
/// parks until woken is enough; a server would use tokio instead.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => std::thread::park(),
        }
    }
}
