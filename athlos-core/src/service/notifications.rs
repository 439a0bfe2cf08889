//! Follows and notifications: who follows a tournament, each user's notifications derived
//! from the log ([`crate::notify`]) with their read cursor, and the start reminder.
//!
//! The start reminder is a store [`Deadline`] keyed `(tournament, tournament_starting)`, due
//! [`Service::reminder`] before the tournament's `starts_at`, whose sequence is the version
//! of the tournament that armed it. Every commit of a tournament arms it again (a new
//! sequence) or clears it, in the same transaction: it runs while the tournament is in
//! `draft` or `registration` with a `starts_at` still ahead whose reminder has not fired, so
//! publishing or editing the start arms it and starting, cancelling or deleting clears it.
//! When it fires, [`Service::tournament_starting_commit`] records `reminded_at` on the
//! tournament and logs `tournament.starting` in one commit that the scheduler fences with the
//! deadline: across processes it fires once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::access::{Principal, Refusal};
use crate::account;
use crate::clock::Clock;
use crate::error::Error;
use crate::event::EventData;
use crate::id::{TournamentId, UserId};
use crate::lifecycle::TournamentState;
use crate::notify::{self, Feed, NotificationPage, TOURNAMENT_STARTING};
use crate::store::{AggregateRef, Commit, Deadline, DeadlineKey, Store, Stored, Write};
use crate::tournament::Tournament;

use super::tournaments::TournamentChange;
use super::Service;

/// Events read from the log per query while deriving notifications.
const LOG_PAGE: usize = 500;

/// The key of `tournament`'s start-reminder deadline.
pub fn starting_reminder(tournament: &TournamentId) -> DeadlineKey {
    DeadlineKey {
        aggregate: AggregateRef::Tournament(tournament.clone()),
        purpose: TOURNAMENT_STARTING.to_owned(),
    }
}

/// When the start reminder of `tournament` is due, `before` its start, if it should run at
/// `now`: in `draft` or `registration`, with a `starts_at` after `now` whose reminder has not
/// fired.
pub fn reminder_due(
    tournament: &Tournament,
    before: chrono::Duration,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let waiting = matches!(
        tournament.state,
        TournamentState::Draft | TournamentState::Registration
    );
    match tournament.starts_at {
        Some(starts_at) if waiting && tournament.reminded_at.is_none() && starts_at > now => {
            Some(starts_at - before)
        }
        _ => None,
    }
}

/// Arms (at `version`) or clears the start reminder of `tournament` in `commit`.
pub(super) fn arm_reminder(
    commit: &mut Commit,
    tournament: &Tournament,
    version: u64,
    before: chrono::Duration,
    now: DateTime<Utc>,
) {
    let key = starting_reminder(&tournament.id);
    match reminder_due(tournament, before, now) {
        Some(due) => commit.deadlines.push(Deadline {
            key,
            due,
            sequence: version,
        }),
        None => commit.cleared_deadlines.push(key),
    }
}

impl<S: Store, C: Clock> Service<S, C> {
    /// `principal` follows tournament `id`, logged as `tournament.followed` (private: no
    /// public stream shows it). Following a tournament followed already changes nothing.
    /// Any tournament may be followed, whatever its state.
    ///
    /// # Errors
    /// [`ServiceError::UnknownTournament`](super::ServiceError::UnknownTournament); a conflict.
    pub async fn follow(
        &self,
        principal: &Principal,
        id: &TournamentId,
    ) -> Result<TournamentChange, Error> {
        self.set_following(principal, id, true).await
    }

    /// `principal` stops following tournament `id`, logged as `tournament.unfollowed`; not
    /// following it changes nothing.
    ///
    /// # Errors
    /// [`ServiceError::UnknownTournament`](super::ServiceError::UnknownTournament); a conflict.
    pub async fn unfollow(
        &self,
        principal: &Principal,
        id: &TournamentId,
    ) -> Result<TournamentChange, Error> {
        self.set_following(principal, id, false).await
    }

    async fn set_following(
        &self,
        principal: &Principal,
        id: &TournamentId,
        follow: bool,
    ) -> Result<TournamentChange, Error> {
        let Stored { version, mut value } = self.tournament(id).await?;
        let subject = principal.subject().to_owned();
        let found = value.followers.binary_search(&subject);
        let data = match (found, follow) {
            (Err(at), true) => {
                value.followers.insert(at, subject.clone());
                EventData::TournamentFollowed {
                    tournament: id.clone(),
                    user: subject,
                }
            }
            (Ok(at), false) => {
                value.followers.remove(at);
                EventData::TournamentUnfollowed {
                    tournament: id.clone(),
                    user: subject,
                }
            }
            _ => {
                return Ok(TournamentChange {
                    tournament: Stored { version, value },
                    events: Vec::new(),
                })
            }
        };
        self.commit_tournament(value, version, vec![data]).await
    }

    /// The tournaments `subject` follows, by id (every tournament is read: the followers
    /// are kept on the tournaments).
    ///
    /// # Errors
    /// The store's.
    pub async fn followed_by(&self, subject: &str) -> Result<Vec<Tournament>, Error> {
        let (all, _) = self
            .browse_tournaments(&crate::browse::TournamentFilter::default(), usize::MAX, 0)
            .await?;
        Ok(all
            .into_iter()
            .map(|stored| stored.value)
            .filter(|t| {
                t.followers
                    .binary_search_by(|f| f.as_str().cmp(subject))
                    .is_ok()
            })
            .collect())
    }

    /// The followers of tournament `id` (sorted), for its director or an administrator.
    ///
    /// The outer result is whether the question could be answered, the inner one whether
    /// `principal` may ask it.
    ///
    /// # Errors
    /// [`ServiceError::UnknownTournament`](super::ServiceError::UnknownTournament); the store's.
    pub async fn followers(
        &self,
        principal: &Principal,
        id: &TournamentId,
    ) -> Result<Result<Vec<String>, Refusal>, Error> {
        let Stored { value, .. } = self.tournament(id).await?;
        Ok(value.may_direct(principal).map(|()| value.followers))
    }

    /// The notifications of account `user` with an id (a log sequence) greater than
    /// `after`, oldest first, at most `limit` (1 to [`notify::MAX_PAGE`]), each read or not
    /// by the account's read cursor. Only the account's holder or an administrator may read
    /// them. A subject without an account (a machine's token) has notifications too, none
    /// of them read.
    ///
    /// The notifications are derived by reading the log from its start (what the user
    /// follows is in it); the tournaments concerned are read once per call.
    ///
    /// # Errors
    /// The store's.
    pub async fn notifications(
        &self,
        principal: &Principal,
        user: &UserId,
        after: u64,
        limit: usize,
    ) -> Result<Result<NotificationPage, Refusal>, Error> {
        if let Err(refusal) = account::may_act_for(principal, user) {
            return Ok(Err(refusal));
        }
        let read_up_to = self
            .store()
            .user(user)
            .await?
            .map_or(0, |stored| stored.value.notifications_read);
        let limit = limit.clamp(1, notify::MAX_PAGE);
        let mut feed = Feed::new(user.as_str());
        let mut tournaments: BTreeMap<TournamentId, Option<Tournament>> = BTreeMap::new();
        let mut notifications = Vec::new();
        let mut position = 0;
        let mut reached = after;
        'log: loop {
            let page = self.store().events_after(position, LOG_PAGE).await?;
            let full = page.len() == LOG_PAGE;
            for logged in page {
                position = logged.sequence;
                let Some(id) = notify::tournament_of(&logged.event.data) else {
                    reached = reached.max(position);
                    continue;
                };
                if !tournaments.contains_key(id) {
                    let found = self.store().tournament(id).await?.map(|s| s.value);
                    tournaments.insert(id.clone(), found);
                }
                let tournament = tournaments.get(id).and_then(Option::as_ref);
                let notification = feed.observe(&logged, tournament);
                if logged.sequence <= after {
                    continue;
                }
                if let Some(mut notification) = notification {
                    if notifications.len() == limit {
                        break 'log;
                    }
                    notification.read = notification.id <= read_up_to;
                    notifications.push(notification);
                }
                reached = reached.max(position);
            }
            if !full {
                break;
            }
        }
        Ok(Ok(NotificationPage {
            notifications,
            read_up_to,
            position: reached,
        }))
    }

    /// Marks the notifications of account `user` read up to id `up_to` (its holder or an
    /// administrator): the read cursor only moves forward, so marking an older id changes
    /// nothing. Returns the cursor after the change.
    ///
    /// # Errors
    /// [`AccountError::UnknownUser`](crate::account::AccountError::UnknownUser) without an
    /// account; the store's.
    pub async fn mark_notifications_read(
        &self,
        principal: &Principal,
        user: &UserId,
        up_to: u64,
    ) -> Result<Result<u64, Refusal>, Error> {
        if let Err(refusal) = account::may_act_for(principal, user) {
            return Ok(Err(refusal));
        }
        let (stored, ()) = self
            .change_user(user, |current| {
                let mut next = current.clone();
                next.notifications_read = next.notifications_read.max(up_to);
                Ok((next, ()))
            })
            .await?;
        Ok(Ok(stored.value.notifications_read))
    }

    /// The effect of a due start-reminder `deadline`: `reminded_at` set on the tournament and
    /// `tournament.starting` logged, as a commit for a scheduler to commit with the deadline
    /// fenced (it adds it to [`Commit::fired_deadlines`]). A deadline the tournament has moved
    /// past (another version armed it), of a tournament that is gone, started or already
    /// reminded, or whose start has passed, gives an empty commit: it is consumed and nothing
    /// else changes.
    ///
    /// # Errors
    /// The store's.
    pub async fn tournament_starting_commit(&self, deadline: &Deadline) -> Result<Commit, Error> {
        let AggregateRef::Tournament(id) = &deadline.key.aggregate else {
            return Ok(Commit::default());
        };
        let Some(Stored { version, mut value }) = self.store().tournament(id).await? else {
            return Ok(Commit::default());
        };
        let now = self.clock().now();
        let starts_at = match value.starts_at {
            Some(starts_at)
                if deadline.sequence == version
                    && reminder_due(&value, self.reminder(), now).is_some() =>
            {
                starts_at
            }
            _ => return Ok(Commit::default()),
        };
        value.reminded_at = Some(now);
        let data = vec![EventData::TournamentStarting {
            tournament: id.clone(),
            name: value.name.clone(),
            starts_at,
            starts_in_minutes: notify::minutes_until(now, starts_at),
        }];
        let aggregate = AggregateRef::Tournament(id.clone());
        let next = super::next_version(version);
        let events = super::events(&aggregate, next, now, data)?;
        Ok(Commit {
            writes: vec![Write::Tournament {
                value,
                expected: Some(version),
            }],
            events: events.into_iter().map(|e| (aggregate.clone(), e)).collect(),
            ..Commit::default()
        })
    }
}
