//! The leaderboard across finished tournaments: points by place and field size, the order of
//! ties, the format and `since` filters, and what does not count (unfinished, cancelled).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::bracket::{BracketOptions, Format, MatchResult, MatchStatus};
use athlos_core::clock::{Clock, ManualClock};
use athlos_core::id::TournamentId;
use athlos_core::leaderboard::{LeaderboardFilter, PlayFormat};
use athlos_core::lifecycle::TournamentState;
use athlos_core::model::{Participant, ParticipantId};
use athlos_core::service::Service;
use athlos_core::store::MemoryStore;
use athlos_core::tournament::TournamentRules;
use chrono::{DateTime, Duration, TimeZone, Utc};

type Svc = Service<MemoryStore, ManualClock>;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

fn rules(format: Format) -> TournamentRules {
    TournamentRules {
        options: BracketOptions::new(format),
        min_entries: 2,
        max_entries: None,
        seed: 5,
        swiss: None,
    }
}

/// Plays tournament `id` of `field` (ids in that order) to the end: in every match the entrant
/// listed earlier in `field` wins.
async fn play(service: &Svc, id: &str, format: Format, field: &[&str]) {
    let id = TournamentId::new(id).unwrap();
    service
        .create_tournament(id.clone(), id.as_str(), rules(format))
        .await
        .unwrap();
    service.publish(&id).await.unwrap();
    for entrant in field {
        let name = format!("{} in {}", entrant.to_uppercase(), id.as_str());
        service
            .join(&id, Participant::new(*entrant, name).unwrap())
            .await
            .unwrap();
    }
    service.start(&id).await.unwrap();
    let strength = |p: &ParticipantId| field.iter().position(|f| *f == p.as_str()).unwrap();
    loop {
        let t = service.tournament(&id).await.unwrap().value;
        let ready: Vec<_> = t
            .bracket()
            .unwrap()
            .matches()
            .iter()
            .filter(|m| m.round == t.round && m.status == MatchStatus::Ready)
            .map(|m| {
                let (a, b) = (m.participant(0).unwrap(), m.participant(1).unwrap());
                (m.id, if strength(a) < strength(b) { a } else { b }.clone())
            })
            .collect();
        for (match_id, winner) in ready {
            service
                .record_result(&id, match_id, MatchResult::win(winner))
                .await
                .unwrap();
        }
        let step = service.advance(&id).await.unwrap();
        if step.tournament.value.state == TournamentState::Completed {
            return;
        }
    }
}

fn table(rows: &[athlos_core::leaderboard::LeaderboardRow]) -> Vec<(u32, &str, u64, u32, u32)> {
    rows.iter()
        .map(|r| {
            (
                r.rank,
                r.participant.as_str(),
                r.points,
                r.tournaments,
                r.wins,
            )
        })
        .collect()
}

#[tokio::test]
async fn points_follow_place_and_field_size_across_tournaments() {
    let service = Service::new(MemoryStore::new(), ManualClock::new(start()));
    // Four entrants, a knockout: a wins (4 points), b second (3), c and d share third (2).
    play(
        &service,
        "cup",
        Format::SingleElimination,
        &["a", "b", "c", "d"],
    )
    .await;
    let cup_finished = service.clock().now();
    service.clock().advance(Duration::days(2));
    // Three entrants, everyone meets everyone: c first (3), a second (2), e third (1).
    play(&service, "league", Format::RoundRobin, &["c", "a", "e"]).await;
    // Registered but never started, and cancelled: neither counts.
    let open = TournamentId::new("open").unwrap();
    service
        .create_tournament(open.clone(), "Open", rules(Format::RoundRobin))
        .await
        .unwrap();
    service.publish(&open).await.unwrap();
    let gone = TournamentId::new("gone").unwrap();
    service
        .create_tournament(gone.clone(), "Gone", rules(Format::RoundRobin))
        .await
        .unwrap();
    service.publish(&gone).await.unwrap();
    service.cancel(&gone).await.unwrap();

    let cup = service.tournament(&TournamentId::new("cup").unwrap()).await;
    assert_eq!(cup.unwrap().value.finished_at, Some(cup_finished));

    let all = service
        .leaderboard(&LeaderboardFilter::default())
        .await
        .unwrap();
    // a: 4 + 2 = 6 (one win); c: 2 + 3 = 5 (one win); b: 3; d: 2; e: 1.
    assert_eq!(
        table(&all),
        [
            (1, "a", 6, 2, 1),
            (2, "c", 5, 2, 1),
            (3, "b", 3, 1, 0),
            (4, "d", 2, 1, 0),
            (5, "e", 1, 1, 0),
        ]
    );
    assert_eq!(all[0].podiums, 2);
    assert_eq!(all[0].best, 1);
    assert_eq!(all[3].best, 3);
    // The name of the latest tournament finished.
    assert_eq!(all[0].name, "A in league");

    // Only knockouts: the cup alone, c and d equal on everything and sharing third.
    let knockouts = LeaderboardFilter {
        format: Some(PlayFormat::parse("single_elimination").unwrap()),
        since: None,
    };
    let rows = service.leaderboard(&knockouts).await.unwrap();
    assert_eq!(
        table(&rows),
        [
            (1, "a", 4, 1, 1),
            (2, "b", 3, 1, 0),
            (3, "c", 2, 1, 0),
            (3, "d", 2, 1, 0),
        ]
    );
    // Only what finished after the cup: the league alone.
    let recent = LeaderboardFilter {
        format: None,
        since: Some(cup_finished + Duration::seconds(1)),
    };
    let rows = service.leaderboard(&recent).await.unwrap();
    assert_eq!(
        table(&rows),
        [(1, "c", 3, 1, 1), (2, "a", 2, 1, 0), (3, "e", 1, 1, 0)]
    );
    // `since` is inclusive.
    let inclusive = LeaderboardFilter {
        format: None,
        since: Some(cup_finished),
    };
    assert_eq!(service.leaderboard(&inclusive).await.unwrap().len(), 5);
    // An archived tournament still counts.
    service
        .archive(&TournamentId::new("cup").unwrap())
        .await
        .unwrap();
    let again = service
        .leaderboard(&LeaderboardFilter::default())
        .await
        .unwrap();
    assert_eq!(again, all);
    // No Swiss was played.
    let swiss = LeaderboardFilter {
        format: Some(PlayFormat::Swiss),
        since: None,
    };
    assert!(service.leaderboard(&swiss).await.unwrap().is_empty());
}

#[test]
fn formats_are_named_as_the_rules_name_them() {
    assert_eq!(PlayFormat::parse("swiss"), Ok(PlayFormat::Swiss));
    assert_eq!(
        PlayFormat::parse("round_robin"),
        Ok(PlayFormat::Bracket(Format::RoundRobin))
    );
    for bad in ["auto", "", "Swiss", "knockout"] {
        let error = PlayFormat::parse(bad).unwrap_err();
        assert!(error.contains("expected swiss"), "{bad}: {error}");
    }
}
