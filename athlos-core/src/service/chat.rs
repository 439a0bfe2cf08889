//! Use cases of a tournament's chat: post, read a page, delete (see [`crate::chat`] for the
//! rules). Each write reads the tournament (who may act) and the chat as stored, decides
//! with [`TournamentChat`]'s rules at the clock's time, and commits the chat with its event;
//! a concurrent post to the same chat (a version conflict) is decided again, with the other
//! message counted.

use chrono::{DateTime, Utc};

use crate::access::Principal;
use crate::chat::{ChatMessage, ChatPage, TournamentChat};
use crate::clock::Clock;
use crate::error::Error;
use crate::event::{Event, EventData};
use crate::id::TournamentId;
use crate::store::{AggregateRef, Commit, Store, Stored, Write};

use super::results::lost_race;
use super::Service;

/// Attempts of a chat write that keeps losing races to other posts.
const ATTEMPTS: u32 = 5;

/// What a chat write did: the message as stored now, and the events committed (none when
/// nothing changed: a message deleted again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatChange {
    /// The message posted or deleted.
    pub message: ChatMessage,
    /// The events committed.
    pub events: Vec<Event>,
}

impl<S: Store, C: Clock> Service<S, C> {
    /// The chat of tournament `id`, as stored (empty before its first message).
    ///
    /// # Errors
    /// [`ServiceError::UnknownTournament`](super::ServiceError::UnknownTournament); the
    /// store's.
    pub async fn chat(&self, id: &TournamentId) -> Result<Stored<TournamentChat>, Error> {
        self.tournament(id).await?;
        self.stored_chat(id).await
    }

    /// The chat of tournament `id` as stored, empty at version 0 before its first message.
    async fn stored_chat(&self, id: &TournamentId) -> Result<Stored<TournamentChat>, Error> {
        Ok(self.store().chat(id).await?.unwrap_or_else(|| Stored {
            version: 0,
            value: TournamentChat::new(id.clone()),
        }))
    }

    /// Up to `limit` messages of the chat of tournament `id` numbered above `after`, in
    /// order; a deleted message is its tombstone. Anyone who may read the tournament may
    /// read its chat.
    ///
    /// # Errors
    /// As [`Service::chat`].
    pub async fn chat_page(
        &self,
        id: &TournamentId,
        after: u64,
        limit: usize,
    ) -> Result<ChatPage, Error> {
        Ok(self.chat(id).await?.value.page(after, limit))
    }

    /// Posts `text` to the chat of tournament `id` as `principal`, logging `chat.posted`.
    ///
    /// # Errors
    /// [`ServiceError::UnknownTournament`](super::ServiceError::UnknownTournament); the
    /// [`ChatError`](crate::chat::ChatError) of [`TournamentChat::check_post`]; the store's.
    pub async fn post_chat(
        &self,
        id: &TournamentId,
        principal: &Principal,
        text: &str,
    ) -> Result<ChatChange, Error> {
        self.retrying(|| self.try_post_chat(id, principal, text))
            .await
    }

    async fn try_post_chat(
        &self,
        id: &TournamentId,
        principal: &Principal,
        text: &str,
    ) -> Result<ChatChange, Error> {
        let tournament = self.tournament(id).await?;
        let stored = self.stored_chat(id).await?;
        let expected = (stored.version > 0).then_some(stored.version);
        let mut chat = stored.value;
        let now = self.clock().now();
        let message = chat.check_post(&tournament.value, principal, text, now)?;
        let data = EventData::ChatPosted {
            tournament: id.clone(),
            message: message.id,
            author: message.author.clone(),
            text: message.text.clone().unwrap_or_default(),
        };
        chat.messages.push(message.clone());
        let events = self.commit_chat(chat, expected, now, data).await?;
        Ok(ChatChange { message, events })
    }

    /// Deletes message `message` of the chat of tournament `id` as `principal` (the
    /// director or an administrator): the chat keeps a tombstone without its text, and
    /// `chat.deleted` is logged. Deleting a deleted message changes and logs nothing.
    ///
    /// # Errors
    /// [`ServiceError::UnknownTournament`](super::ServiceError::UnknownTournament);
    /// [`ChatError::NotModerator`](crate::chat::ChatError::NotModerator),
    /// [`ChatError::UnknownMessage`](crate::chat::ChatError::UnknownMessage); the store's.
    pub async fn delete_chat_message(
        &self,
        id: &TournamentId,
        principal: &Principal,
        message: u64,
    ) -> Result<ChatChange, Error> {
        self.retrying(|| self.try_delete_chat_message(id, principal, message))
            .await
    }

    async fn try_delete_chat_message(
        &self,
        id: &TournamentId,
        principal: &Principal,
        message: u64,
    ) -> Result<ChatChange, Error> {
        let tournament = self.tournament(id).await?;
        let stored = self.stored_chat(id).await?;
        let mut chat = stored.value;
        let now = self.clock().now();
        let (deleted, tombstone) = chat.delete(&tournament.value, principal, message, now)?;
        if !deleted {
            return Ok(ChatChange {
                message: tombstone,
                events: Vec::new(),
            });
        }
        let data = EventData::ChatDeleted {
            tournament: id.clone(),
            message,
            by: principal.subject().to_owned(),
        };
        let events = self
            .commit_chat(chat, Some(stored.version), now, data)
            .await?;
        Ok(ChatChange {
            message: tombstone,
            events,
        })
    }

    /// Runs a chat write again while it loses races (another write to the chat came first),
    /// up to [`ATTEMPTS`] times.
    async fn retrying<T, F, Fut>(&self, write: F) -> Result<T, Error>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let mut attempt = 1;
        loop {
            match write().await {
                Err(error) if lost_race(&error) && attempt < ATTEMPTS => attempt += 1,
                other => return other,
            }
        }
    }

    /// Commits `chat` at `expected` (`None`: its first message) with the event of `data`.
    async fn commit_chat(
        &self,
        chat: TournamentChat,
        expected: Option<u64>,
        now: DateTime<Utc>,
        data: EventData,
    ) -> Result<Vec<Event>, Error> {
        let version = super::next_version(expected.unwrap_or(0));
        let aggregate = AggregateRef::Chat(chat.tournament.clone());
        let commit = Commit {
            writes: vec![Write::Chat {
                value: Box::new(chat),
                expected,
            }],
            ..Commit::default()
        };
        self.commit_with_events(commit, &aggregate, version, now, vec![data])
            .await
    }
}
