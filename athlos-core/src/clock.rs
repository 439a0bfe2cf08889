//! Time as an input: the [`Clock`] trait, the operating-system clock and a manual clock.
//!
//! Nothing else in the core reads the wall clock. Pure functions take `now` as an argument;
//! the [`service`](crate::service) layer asks its [`Clock`] once per use case.
//!
//! Waiting for an instant depends on the clock: a clock that follows real time (the system's)
//! is waited on with a timer of the runtime; a clock that moves when told (the
//! [`ManualClock`]) hands out a [`ClockWatch`] ([`Clock::watch`]) that wakes its waiter on
//! every move, so a job worker or deadline scheduler on it fires when the clock is moved past a
//! due time and never because real time passed. The watches are runtime-free (a waker list
//! behind a lock, [`ClockMoves`]): the core stays without an async runtime.
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
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current instant, in UTC.
    fn now(&self) -> DateTime<Utc>;

    /// A watch on the moves of a clock that does not follow real time, so that a task
    /// waiting for an instant on it wakes when the clock moves, not when real time passes.
    ///
    /// `None` (the default, and the [`SystemClock`]'s answer): the clock follows real time,
    /// and a wait of `at - now` of real time reaches `at`. A clock that moves when told (the
    /// [`ManualClock`], or one built on [`ClockMoves`]) answers a watch, and the waiter
    /// checks [`Clock::now`] again after each [`ClockWatch::moved`].
    fn watch(&self) -> Option<ClockWatch> {
        None
    }
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
/// Shared between tasks by reference (it is `Sync`); every reader sees every move, and every
/// [`ClockWatch`] of it ([`Clock::watch`]) wakes on every move, so a scheduler or worker
/// waiting for a due time on it fires when the clock is moved past that time, however little
/// or much real time passes.
///
/// ```
/// use athlos_core::clock::{Clock, ManualClock};
/// use chrono::{Duration, TimeZone, Utc};
///
/// let start = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).single().ok_or("bad date")?;
/// let clock = ManualClock::new(start);
/// let mut watch = clock.watch().ok_or("a manual clock has a watch")?;
/// let due = start + Duration::minutes(1);
/// // A waiter for `due` (it would await `watch.moved()` in a loop).
/// assert!(clock.now() < due);
/// clock.advance(Duration::minutes(1));
/// assert!(watch.has_moved());
/// assert!(clock.now() >= due);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    moves: ClockMoves,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
            moves: ClockMoves::new(),
        }
    }

    /// Sets the time (it may go backwards, as a simulation may need) and wakes the watches.
    pub fn set(&self, now: DateTime<Utc>) {
        *lock(&self.now) = now;
        self.moves.moved();
    }

    /// Moves the time forward (or backward for a negative `by`) and wakes the watches;
    /// saturates at the limits of the representable range.
    pub fn advance(&self, by: Duration) {
        {
            let mut now = lock(&self.now);
            if let Some(next) = now.checked_add_signed(by) {
                *now = next;
            }
        }
        self.moves.moved();
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.now)
    }

    fn watch(&self) -> Option<ClockWatch> {
        Some(self.moves.watch())
    }
}

/// The moves of a clock that moves when told: a counter bumped by [`ClockMoves::moved`] and
/// the wakers of the [`ClockWatch`]es waiting for the next bump. Runtime-free: any executor's
/// waker works.
///
/// A clock built on it changes its time first, then calls [`ClockMoves::moved`]: a watch that
/// sees the move then reads the new time.
#[derive(Clone, Default)]
pub struct ClockMoves {
    shared: Arc<Mutex<Moves>>,
}

/// The state behind [`ClockMoves`].
#[derive(Default)]
struct Moves {
    /// Bumped by every move.
    count: u64,
    /// The number the next watch gets.
    next_watch: u64,
    /// The watches waiting for the next move, by number: at most one waker each.
    waiting: Vec<(u64, Waker)>,
}

impl ClockMoves {
    /// Moves of a clock that has not moved yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a move and wakes every watch waiting for one.
    pub fn moved(&self) {
        let waiting = {
            let mut moves = lock(&self.shared);
            moves.count = moves.count.wrapping_add(1);
            std::mem::take(&mut moves.waiting)
        };
        for (_, waker) in waiting {
            waker.wake();
        }
    }

    /// A watch that sees the moves from now on.
    pub fn watch(&self) -> ClockWatch {
        let mut moves = lock(&self.shared);
        let number = moves.next_watch;
        moves.next_watch = moves.next_watch.wrapping_add(1);
        ClockWatch {
            shared: self.shared.clone(),
            number,
            seen: moves.count,
        }
    }
}

impl fmt::Debug for ClockMoves {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let moves = lock(&self.shared);
        f.debug_struct("ClockMoves")
            .field("count", &moves.count)
            .field("waiting", &moves.waiting.len())
            .finish()
    }
}

/// One waiter's view of a clock's moves ([`Clock::watch`]): [`ClockWatch::moved`] resolves
/// after the next move it has not seen. A move while nobody awaits is not lost: the next
/// `moved` resolves at once.
///
/// To wait until the clock reads `at`: take the watch, then check [`Clock::now`] against `at`
/// and await `moved` until it does ([`ClockWatch::reached`]); taking the watch before reading
/// the time means no move between the two is missed.
pub struct ClockWatch {
    shared: Arc<Mutex<Moves>>,
    number: u64,
    seen: u64,
}

impl ClockWatch {
    /// Whether the clock moved since this watch last looked; marks the moves seen.
    pub fn has_moved(&mut self) -> bool {
        let Self {
            shared,
            number,
            seen,
        } = self;
        take_move(&mut lock(shared), *number, seen)
    }

    /// Resolves after a move this watch has not seen (at once if there is one).
    pub fn moved(&mut self) -> Moved<'_> {
        Moved { watch: self }
    }

    /// Resolves once `clock` (the clock this watch is of) reads `at` or later.
    pub async fn reached<C: Clock + ?Sized>(&mut self, clock: &C, at: DateTime<Utc>) {
        while clock.now() < at {
            self.moved().await;
        }
    }
}

/// Marks the moves of watch `number` seen (up to `moves.count`); whether there were any
/// unseen. Drops the watch's waker once it has seen a move (a move takes the wakers, so
/// none is left behind otherwise).
fn take_move(moves: &mut Moves, number: u64, seen: &mut u64) -> bool {
    if moves.count == *seen {
        return false;
    }
    *seen = moves.count;
    moves.waiting.retain(|(n, _)| *n != number);
    true
}

impl Drop for ClockWatch {
    fn drop(&mut self) {
        lock(&self.shared)
            .waiting
            .retain(|(number, _)| *number != self.number);
    }
}

impl fmt::Debug for ClockWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClockWatch")
            .field("number", &self.number)
            .field("seen", &self.seen)
            .finish()
    }
}

/// The future of [`ClockWatch::moved`].
#[derive(Debug)]
#[must_use = "a future does nothing unless awaited"]
pub struct Moved<'a> {
    watch: &'a mut ClockWatch,
}

impl Future for Moved<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let ClockWatch {
            shared,
            number,
            seen,
        } = &mut *self.get_mut().watch;
        let mut moves = lock(shared);
        if take_move(&mut moves, *number, seen) {
            return Poll::Ready(());
        }
        let number = *number;
        match moves.waiting.iter_mut().find(|(n, _)| *n == number) {
            Some((_, waker)) => {
                if !waker.will_wake(cx.waker()) {
                    waker.clone_from(cx.waker());
                }
            }
            None => moves.waiting.push((number, cx.waker().clone())),
        }
        Poll::Pending
    }
}

/// Locks `mutex`; a poisoned lock still holds a valid value (no update here can be left
/// half-done by a panic).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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

    fn watch(&self) -> Option<ClockWatch> {
        (**self).watch()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }

    fn watch(&self) -> Option<ClockWatch> {
        (**self).watch()
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

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    /// A waker that counts its wakes.
    #[derive(Default)]
    struct Wakes(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for Wakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    impl Wakes {
        fn count(&self) -> usize {
            self.0.load(std::sync::atomic::Ordering::SeqCst)
        }

        /// Polls `future` once with this waker.
        fn poll<F: Future + ?Sized>(self: &Arc<Self>, future: Pin<&mut F>) -> Poll<F::Output> {
            let waker = Waker::from(self.clone());
            future.poll(&mut Context::from_waker(&waker))
        }
    }

    fn waiting(clock: &ManualClock) -> usize {
        lock(&clock.moves.shared).waiting.len()
    }

    #[test]
    fn a_watch_wakes_its_waiter_when_the_clock_moves() {
        let clock = ManualClock::new(start());
        let mut watch = clock.watch().unwrap();
        let wakes = Arc::new(Wakes::default());
        let mut moved = watch.moved();
        assert!(wakes.poll(Pin::new(&mut moved)).is_pending());
        // Polled again with the same waker: still one waker kept.
        assert!(wakes.poll(Pin::new(&mut moved)).is_pending());
        assert_eq!(waiting(&clock), 1);
        assert_eq!(wakes.count(), 0);
        clock.advance(Duration::seconds(1));
        assert_eq!(wakes.count(), 1);
        assert_eq!(waiting(&clock), 0);
        assert!(wakes.poll(Pin::new(&mut moved)).is_ready());
        // That move is seen: the next wait waits for the next move.
        let mut next = watch.moved();
        assert!(wakes.poll(Pin::new(&mut next)).is_pending());
        clock.set(start());
        assert_eq!(wakes.count(), 2);
        assert!(wakes.poll(Pin::new(&mut next)).is_ready());
    }

    #[test]
    fn a_move_while_nobody_waits_is_not_lost() {
        let clock = ManualClock::new(start());
        let mut watch = clock.watch().unwrap();
        assert!(!watch.has_moved());
        clock.advance(Duration::minutes(1));
        clock.advance(Duration::minutes(1));
        let wakes = Arc::new(Wakes::default());
        // Two moves while nobody waited: one wait sees them both.
        assert!(wakes.poll(Pin::new(&mut watch.moved())).is_ready());
        assert!(wakes.poll(Pin::new(&mut watch.moved())).is_pending());
        // A watch taken after a move sees only later ones.
        let mut later = clock.watch().unwrap();
        assert!(!later.has_moved());
        clock.advance(Duration::minutes(1));
        assert!(later.has_moved());
        assert!(!later.has_moved());
    }

    #[test]
    fn reached_waits_for_the_instant_not_for_any_move() {
        let clock = ManualClock::new(start());
        let mut watch = clock.watch().unwrap();
        let wakes = Arc::new(Wakes::default());
        let due = start() + Duration::seconds(60);
        let mut reached = Box::pin(watch.reached(&clock, due));
        assert!(wakes.poll(reached.as_mut()).is_pending());
        clock.advance(Duration::seconds(59));
        assert_eq!(wakes.count(), 1);
        assert!(wakes.poll(reached.as_mut()).is_pending(), "a second early");
        clock.advance(Duration::seconds(1));
        assert_eq!(wakes.count(), 2);
        assert!(wakes.poll(reached.as_mut()).is_ready());
        drop(reached);
        // An instant already reached is reached at once, without a move.
        let mut past = Box::pin(watch.reached(&clock, start()));
        assert!(wakes.poll(past.as_mut()).is_ready());
    }

    #[test]
    fn dropped_watches_leave_no_waker_behind() {
        let clock = ManualClock::new(start());
        let wakes = Arc::new(Wakes::default());
        let mut first = clock.watch().unwrap();
        let mut second = clock.watch().unwrap();
        assert!(wakes.poll(Pin::new(&mut first.moved())).is_pending());
        assert!(wakes.poll(Pin::new(&mut second.moved())).is_pending());
        assert_eq!(waiting(&clock), 2);
        // A wait given up and taken again keeps one waker per watch.
        for _ in 0..10 {
            assert!(wakes.poll(Pin::new(&mut first.moved())).is_pending());
        }
        assert_eq!(waiting(&clock), 2);
        drop(first);
        assert_eq!(waiting(&clock), 1);
        drop(second);
        assert_eq!(waiting(&clock), 0);
        clock.advance(Duration::seconds(1));
        assert_eq!(wakes.count(), 0, "nobody left to wake");
    }

    #[test]
    fn only_a_clock_that_moves_when_told_has_a_watch() {
        assert!(SystemClock.watch().is_none());
        let shared: Arc<dyn Clock> = Arc::new(ManualClock::new(start()));
        let mut watch = shared.watch().unwrap();
        let by_reference: &dyn Clock = &shared;
        let mut other = by_reference.watch().unwrap();
        assert!(!watch.has_moved() && !other.has_moved());
        // A custom clock on `ClockMoves`, moved through a clone of its moves.
        let moves = ClockMoves::new();
        let mut custom = moves.watch();
        moves.clone().moved();
        assert!(custom.has_moved());
    }

    #[tokio::test]
    async fn a_waiter_wakes_when_another_thread_moves_the_clock() {
        let clock = Arc::new(ManualClock::new(start()));
        let mut watch = clock.watch().unwrap();
        let due = start() + Duration::hours(1);
        let mover = {
            let clock = clock.clone();
            std::thread::spawn(move || {
                for _ in 0..60 {
                    clock.advance(Duration::minutes(1));
                }
            })
        };
        watch.reached(&clock, due).await;
        assert!(clock.now() >= due);
        mover.join().unwrap();
        assert_eq!(clock.now(), due);
    }
}
