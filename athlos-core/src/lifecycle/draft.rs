//! Pure draft logic: who picks when, and when the pick clock runs out.
//!
//! ```
//! use athlos_core::lifecycle::draft::PickOrder;
//!
//! // Snake with 3 teams: 0 1 2 | 2 1 0 | 0 1 2
//! let teams: Vec<u32> = (0..9).filter_map(|pick| PickOrder::Snake.team(3, pick)).collect();
//! assert_eq!(teams, [0, 1, 2, 2, 1, 0, 0, 1, 2]);
//! ```

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The order in which teams pick, round after round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PickOrder {
    /// The same order every round.
    Linear,
    /// The order reverses every round.
    Snake,
    /// Snake, except that round 3 repeats round 2's order (reversed twice); from round 4 the
    /// snake resumes. Softens the first pick's advantage.
    ThirdRoundReversal,
}

impl PickOrder {
    /// The team (0-based) making overall pick `pick` (0-based) among `teams` teams; `None`
    /// when there are no teams.
    pub fn team(self, teams: u32, pick: u32) -> Option<u32> {
        if teams == 0 {
            return None;
        }
        let round = pick / teams;
        let position = pick % teams;
        let reversed = match self {
            PickOrder::Linear => false,
            PickOrder::Snake => round % 2 == 1,
            // Rounds 0, 1, 2, 3, 4 … run forward, back, back, forward, back …
            PickOrder::ThirdRoundReversal => match round {
                0 => false,
                1 | 2 => true,
                r => r % 2 == 0,
            },
        };
        Some(if reversed {
            teams - 1 - position
        } else {
            position
        })
    }

    /// The 0-based round of overall pick `pick`; `None` when there are no teams.
    pub fn round(teams: u32, pick: u32) -> Option<u32> {
        pick.checked_div(teams)
    }
}

/// A pick clock: each pick has `per_pick` from when it comes on the clock; pausing freezes
/// the remaining time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickClock {
    /// Time per pick, in seconds.
    pub seconds_per_pick: u32,
}

/// Where the clock of the pick on the clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClockState {
    /// Running: the pick is due at `deadline`.
    Running {
        /// When the clock runs out.
        deadline: DateTime<Utc>,
    },
    /// Paused with `remaining_ms` left.
    Paused {
        /// Milliseconds left when paused.
        remaining_ms: i64,
    },
}

impl PickClock {
    /// The clock of a pick that comes on the clock at `now` (a deadline past the end of
    /// time saturates there).
    pub fn start(self, now: DateTime<Utc>) -> ClockState {
        ClockState::Running {
            deadline: later(now, Duration::seconds(i64::from(self.seconds_per_pick))),
        }
    }
}

impl ClockState {
    /// Freezes a running clock at `now`; a paused clock stays as it is.
    pub fn pause(self, now: DateTime<Utc>) -> ClockState {
        match self {
            ClockState::Running { deadline } => ClockState::Paused {
                remaining_ms: (deadline - now).num_milliseconds().max(0),
            },
            paused => paused,
        }
    }

    /// Restarts a paused clock at `now` with the time it had left; a running clock stays.
    pub fn resume(self, now: DateTime<Utc>) -> ClockState {
        match self {
            ClockState::Paused { remaining_ms } => ClockState::Running {
                deadline: later(
                    now,
                    Duration::try_milliseconds(remaining_ms.max(0)).unwrap_or(Duration::MAX),
                ),
            },
            running => running,
        }
    }

    /// Whether the pick is overdue at `now` (a paused clock never is).
    pub fn expired(self, now: DateTime<Utc>) -> bool {
        matches!(self, ClockState::Running { deadline } if now >= deadline)
    }
}

/// `now + by`, saturating at the latest representable instant.
fn later(now: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    now.checked_add_signed(by)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn order(kind: PickOrder, teams: u32, picks: u32) -> Vec<u32> {
        (0..picks).map(|p| kind.team(teams, p).unwrap()).collect()
    }

    #[test]
    fn orders_follow_their_definitions() {
        assert_eq!(order(PickOrder::Linear, 3, 6), [0, 1, 2, 0, 1, 2]);
        assert_eq!(order(PickOrder::Snake, 2, 6), [0, 1, 1, 0, 0, 1]);
        assert_eq!(
            order(PickOrder::ThirdRoundReversal, 3, 15),
            [0, 1, 2, 2, 1, 0, 2, 1, 0, 0, 1, 2, 2, 1, 0]
        );
        assert_eq!(PickOrder::Snake.team(0, 4), None);
        assert_eq!(PickOrder::round(4, 9), Some(2));
    }

    #[test]
    fn pause_keeps_the_remaining_time() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let clock = PickClock {
            seconds_per_pick: 60,
        }
        .start(t0);
        let paused = clock.pause(t0 + Duration::seconds(20));
        assert_eq!(
            paused,
            ClockState::Paused {
                remaining_ms: 40_000
            }
        );
        assert!(!paused.expired(t0 + Duration::hours(1)));
        let resumed = paused.resume(t0 + Duration::seconds(100));
        assert!(!resumed.expired(t0 + Duration::seconds(139)));
        assert!(resumed.expired(t0 + Duration::seconds(140)));
    }

    #[test]
    fn extreme_clocks_saturate_instead_of_panicking() {
        let end = DateTime::<Utc>::MAX_UTC;
        let clock = PickClock {
            seconds_per_pick: u32::MAX,
        }
        .start(end);
        assert_eq!(clock, ClockState::Running { deadline: end });
        let resumed = ClockState::Paused {
            remaining_ms: i64::MIN,
        }
        .resume(end);
        assert_eq!(resumed, ClockState::Running { deadline: end });
        let huge = ClockState::Paused {
            remaining_ms: i64::MAX,
        }
        .resume(DateTime::<Utc>::MIN_UTC);
        assert!(!huge.expired(DateTime::<Utc>::MIN_UTC));
    }
}
