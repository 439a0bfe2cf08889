//! Tournament chat: one chat per tournament, its messages, and who may post and delete.
//!
//! A [`TournamentChat`] is an aggregate of its own (stored as `chat:{tournament}`), so a
//! tournament's document does not grow with its chat. Its events (`chat.posted`,
//! `chat.deleted`) are logged for the chat and concern its tournament too
//! ([`audience`](crate::store::audience)), so the tournament's stream and webhooks carry them.
//!
//! The rules, all decided here from the tournament and the chat as stored and the service's
//! clock:
//!
//! - **Who may post**: the tournament's members — a subject that is an entry's id (a player
//!   who joined) or a member of a registered team — and its director (or an administrator).
//!   Anyone else is refused ([`ChatError::NotMember`]). An archived or cancelled tournament's
//!   chat is closed ([`ChatError::Closed`]).
//! - **Length**: the text is trimmed; empty is refused ([`ChatError::EmptyMessage`]), and so
//!   is one longer than [`MAX_MESSAGE_CHARS`] characters ([`ChatError::MessageTooLong`]).
//! - **Rate**: at most [`RATE_LIMIT`] messages per author within [`RATE_WINDOW_SECONDS`]
//!   seconds per chat, counted from the messages stored (deleted ones included) and the
//!   clock, so every process decides alike; the next one is refused with the wait
//!   ([`ChatError::RateLimited`]).
//! - **Deletion**: the director or an administrator only ([`ChatError::NotModerator`]); the
//!   message stays as a tombstone (its number, author and time) without its text. The log's
//!   `chat.posted` keeps what was posted (the log is append-only): only the chat's own view
//!   (`GET …/chat`) forgets the text.
//! - **Plain text**: a message is text, never markup. It is stored and sent as given (after
//!   trimming); whoever renders it in a page must escape it.
//! - A chat keeps at most [`MAX_MESSAGES`] messages ([`ChatError::Full`]).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::access::{self, Principal};
use crate::id::TournamentId;
use crate::lifecycle::TournamentState;
use crate::tournament::Tournament;

/// The longest message, in characters (Unicode scalar values) after trimming.
pub const MAX_MESSAGE_CHARS: usize = 500;

/// Messages one author may post within [`RATE_WINDOW_SECONDS`].
pub const RATE_LIMIT: usize = 5;

/// The window of the rate limit, in seconds.
pub const RATE_WINDOW_SECONDS: i64 = 10;

/// The most messages a chat keeps (tombstones included).
pub const MAX_MESSAGES: usize = 5_000;

/// A chat refusal.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ChatError {
    /// The caller is neither a member of the tournament nor its director.
    #[error("only the tournament's entrants, the members of its teams, its director or an admin may post to its chat")]
    NotMember,
    /// Only the director or an administrator may delete a message.
    #[error("only the tournament's director or an admin may delete chat messages")]
    NotModerator,
    /// A message that is empty once trimmed.
    #[error("a chat message may not be empty")]
    EmptyMessage,
    /// A message longer than [`MAX_MESSAGE_CHARS`].
    #[error("a chat message has at most {max} characters; this one has {length}")]
    MessageTooLong {
        /// Its length in characters, trimmed.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// The author posted [`RATE_LIMIT`] messages within the window already.
    #[error(
        "too many chat messages: at most {limit} per {window} s; try again in {retry_after} s"
    )]
    RateLimited {
        /// Seconds until one more is accepted (at least 1).
        retry_after: u64,
        /// The limit.
        limit: usize,
        /// The window, in seconds.
        window: i64,
    },
    /// The chat has no message with this number.
    #[error("tournament \"{tournament}\" has no chat message {message}")]
    UnknownMessage {
        /// The tournament.
        tournament: String,
        /// The number asked for.
        message: u64,
    },
    /// The chat of an archived or cancelled tournament takes no more messages.
    #[error("the chat of tournament \"{tournament}\" is closed: the tournament is {state}")]
    Closed {
        /// The tournament.
        tournament: String,
        /// Its state.
        state: TournamentState,
    },
    /// The chat holds [`MAX_MESSAGES`] messages.
    #[error("the chat of tournament \"{tournament}\" is full ({max} messages)")]
    Full {
        /// The tournament.
        tournament: String,
        /// The limit.
        max: usize,
    },
}

crate::codes::error_codes! {
ChatError {
    NotMember => "not_tournament_member", Forbidden;
    NotModerator => "not_chat_moderator", Forbidden;
    EmptyMessage => "empty_message", Invalid;
    MessageTooLong => "message_too_long", Invalid;
    RateLimited => "chat_rate_limited", RateLimited;
    UnknownMessage => "unknown_message", NotFound;
    Closed => "chat_closed", Conflict;
    Full => "chat_full", Conflict;
}
}

/// A message of a chat; a deleted one is a tombstone (no text, `deleted` set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatMessage {
    /// Its number in the chat, from 1, in posting order.
    pub id: u64,
    /// Who posted it (a principal subject).
    pub author: String,
    /// When, by the service's clock.
    pub posted_at: DateTime<Utc>,
    /// The text, plain (never markup); `None` once deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The deletion, if it was deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<ChatDeletion>,
}

/// Who deleted a message and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatDeletion {
    /// The director or administrator who deleted it.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The chat of one tournament: its messages in posting order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TournamentChat {
    /// The tournament.
    pub tournament: TournamentId,
    /// The messages, tombstones included, by number.
    pub messages: Vec<ChatMessage>,
}

/// A page of a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatPage {
    /// The messages after the position asked for, in order.
    pub messages: Vec<ChatMessage>,
    /// The number of the last message of the page (the position asked for when empty):
    /// ask for the next page after it.
    pub next_after: u64,
    /// Whether messages follow the page.
    pub more: bool,
}

impl TournamentChat {
    /// An empty chat of `tournament`.
    pub fn new(tournament: TournamentId) -> Self {
        Self {
            tournament,
            messages: Vec::new(),
        }
    }

    /// The message numbered `id`.
    pub fn message(&self, id: u64) -> Option<&ChatMessage> {
        self.messages.iter().find(|m| m.id == id)
    }

    /// Up to `limit` messages numbered above `after`, in order.
    pub fn page(&self, after: u64, limit: usize) -> ChatPage {
        let mut rest = self.messages.iter().filter(|m| m.id > after);
        let messages: Vec<ChatMessage> = rest.by_ref().take(limit).cloned().collect();
        let next_after = messages.last().map_or(after, |m| m.id);
        ChatPage {
            messages,
            next_after,
            more: rest.next().is_some(),
        }
    }

    /// Checks a post of `text` by `principal` at `now` to the chat of `tournament` and
    /// returns the message to append (not yet appended).
    ///
    /// # Errors
    /// [`ChatError::Closed`], [`ChatError::NotMember`], [`ChatError::EmptyMessage`],
    /// [`ChatError::MessageTooLong`], [`ChatError::Full`], [`ChatError::RateLimited`], in
    /// that order of checking.
    pub fn check_post(
        &self,
        tournament: &Tournament,
        principal: &Principal,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<ChatMessage, ChatError> {
        if matches!(
            tournament.state,
            TournamentState::Archived | TournamentState::Cancelled
        ) {
            return Err(ChatError::Closed {
                tournament: tournament.id.to_string(),
                state: tournament.state,
            });
        }
        may_post(tournament, principal)?;
        let text = check_text(text)?;
        if self.messages.len() >= MAX_MESSAGES {
            return Err(ChatError::Full {
                tournament: tournament.id.to_string(),
                max: MAX_MESSAGES,
            });
        }
        self.check_rate(principal.subject(), now)?;
        let id = self.messages.last().map_or(1, |m| m.id.saturating_add(1));
        Ok(ChatMessage {
            id,
            author: principal.subject().to_owned(),
            posted_at: now,
            text: Some(text.to_owned()),
            deleted: None,
        })
    }

    /// Refuses a post by `author` at `now` when [`RATE_LIMIT`] of their messages fall within
    /// the window before it.
    fn check_rate(&self, author: &str, now: DateTime<Utc>) -> Result<(), ChatError> {
        let window = Duration::seconds(RATE_WINDOW_SECONDS);
        let recent: Vec<DateTime<Utc>> = self
            .messages
            .iter()
            .filter(|m| m.author == author && m.posted_at + window > now)
            .map(|m| m.posted_at)
            .collect();
        if recent.len() < RATE_LIMIT {
            return Ok(());
        }
        // The message that brings the count under the limit leaves the window first.
        let freeing = recent[recent.len() - RATE_LIMIT];
        let wait = freeing + window - now;
        // Whole seconds, rounded up, at least one.
        let millis = u64::try_from(wait.num_milliseconds()).unwrap_or(0);
        Err(ChatError::RateLimited {
            retry_after: millis.div_ceil(1000).max(1),
            limit: RATE_LIMIT,
            window: RATE_WINDOW_SECONDS,
        })
    }

    /// Deletes message `id` for `principal` at `now`: whether it was deleted now (`false`:
    /// it already was, and nothing changes), and its tombstone.
    ///
    /// # Errors
    /// [`ChatError::NotModerator`], [`ChatError::UnknownMessage`].
    pub fn delete(
        &mut self,
        tournament: &Tournament,
        principal: &Principal,
        id: u64,
        now: DateTime<Utc>,
    ) -> Result<(bool, ChatMessage), ChatError> {
        may_moderate(tournament, principal)?;
        let unknown = || ChatError::UnknownMessage {
            tournament: self.tournament.to_string(),
            message: id,
        };
        let position = self
            .messages
            .iter()
            .position(|m| m.id == id)
            .ok_or_else(unknown)?;
        let message = &mut self.messages[position];
        if message.deleted.is_some() {
            return Ok((false, message.clone()));
        }
        message.text = None;
        message.deleted = Some(ChatDeletion {
            by: principal.subject().to_owned(),
            at: now,
        });
        Ok((true, message.clone()))
    }
}

/// Whether `principal` is a member of `tournament`: an entry's id, or a member of one of
/// its teams.
pub fn is_member(tournament: &Tournament, principal: &Principal) -> bool {
    let subject = principal.subject();
    tournament.entries.iter().any(|e| e.id.as_str() == subject)
        || tournament.teams.iter().any(|t| t.has_member(subject))
}

/// Whether `principal` may post to the chat of `tournament`: a member, the director or an
/// administrator.
///
/// # Errors
/// [`ChatError::NotMember`].
pub fn may_post(tournament: &Tournament, principal: &Principal) -> Result<(), ChatError> {
    if is_member(tournament, principal) || tournament.may_direct(principal).is_ok() {
        Ok(())
    } else {
        Err(ChatError::NotMember)
    }
}

/// Whether `principal` may delete messages of the chat of `tournament`: its director or an
/// administrator.
///
/// # Errors
/// [`ChatError::NotModerator`].
pub fn may_moderate(tournament: &Tournament, principal: &Principal) -> Result<(), ChatError> {
    access::may_direct(principal, tournament.director.as_deref())
        .map_err(|_| ChatError::NotModerator)
}

/// `text` trimmed, checked for emptiness and length.
///
/// # Errors
/// [`ChatError::EmptyMessage`], [`ChatError::MessageTooLong`].
pub fn check_text(text: &str) -> Result<&str, ChatError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ChatError::EmptyMessage);
    }
    let length = text.chars().count();
    if length > MAX_MESSAGE_CHARS {
        return Err(ChatError::MessageTooLong {
            length,
            max: MAX_MESSAGE_CHARS,
        });
    }
    Ok(text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_measured_in_characters() {
        assert_eq!(check_text("  hi \n"), Ok("hi"));
        assert_eq!(check_text(" \t\n"), Err(ChatError::EmptyMessage));
        let long = "é".repeat(MAX_MESSAGE_CHARS);
        assert_eq!(check_text(&long), Ok(long.as_str()));
        let longer = "é".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(
            check_text(&longer),
            Err(ChatError::MessageTooLong {
                length: MAX_MESSAGE_CHARS + 1,
                max: MAX_MESSAGE_CHARS
            })
        );
    }

    #[test]
    fn pages_follow_message_numbers() {
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let mut chat = TournamentChat::new(TournamentId::new("t").unwrap());
        for id in 1..=5 {
            chat.messages.push(ChatMessage {
                id,
                author: "a".into(),
                posted_at: now,
                text: Some(format!("m{id}")),
                deleted: None,
            });
        }
        let first = chat.page(0, 2);
        assert_eq!(first.messages.len(), 2);
        assert_eq!(first.next_after, 2);
        assert!(first.more);
        let last = chat.page(4, 2);
        assert_eq!(last.messages.len(), 1);
        assert_eq!(last.next_after, 5);
        assert!(!last.more);
        let none = chat.page(9, 2);
        assert!(none.messages.is_empty());
        assert_eq!(none.next_after, 9);
        assert!(!none.more);
    }
}
