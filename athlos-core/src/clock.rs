//! Time as an input: the [`Clock`] trait, the operating-system clock and a manual clock.
//!
//! Nothing else in the core reads the wall clock. Pure functions take `now` as an argument;
//! the [`service`](crate::service) layer asks its [`Clock`] once per use case.
//!
//! ```
//! use athlos_core::clock::{Clock, ManualClock};
//! use chrono::{Duration, TimeZone, Utc};
//!
//! let start = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).single().ok_or("bad date")?;
//! let clock = ManualClock::new(start);
//! clock.advance(Duration::seconds(30));
//! assert_eq!(clock.now(), start + Duration::seconds(30));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current instant, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The operating-system clock: the only place in the core that reads the wall clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::<Utc>::from(SystemTime::now())
    }
}

/// A clock that moves only when told to: for tests and simulations.
///
/// Shared between tasks by reference (it is `Sync`); every reader sees every move.
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// Sets the time (it may go backwards, as a simulation may need).
    pub fn set(&self, now: DateTime<Utc>) {
        // A poisoned lock still holds a valid instant: a panic cannot leave it half-written.
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves the time forward (or backward for a negative `by`); saturates at the limits of
    /// the representable range.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(next) = now.checked_add_signed(by) {
            *now = next;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A clock behind a `dyn` (a server that takes the system's or a test's) shows the time it
/// reads.
impl fmt::Debug for dyn Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("dyn Clock")
            .field("now", &self.now())
            .finish()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("now", &self.now())
            .finish()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::minutes(5));
        assert_eq!(clock.now(), start + Duration::minutes(5));
        clock.set(start);
        assert_eq!(clock.now(), start);
    }

    #[test]
    fn system_clock_is_after_2020() {
        let earliest = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        assert!(SystemClock.now() > earliest);
    }
}
