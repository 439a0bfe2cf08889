//! Accounts: sign-up with a unique username, profiles, API tokens and browser sessions.
//!
//! A sign-up commits the [`User`] and the [`UsernameClaim`] of its folded username, both at
//! version 0, in one commit: of two sign-ups racing for `Alice` and `alice` exactly one
//! commits, the other is [`AccountError::UsernameTaken`]. The adapter hands in what needs
//! randomness or hashing (ids, the password's PHC string, hashes of secrets); these use cases
//! keep the rules and the time (the service's clock).

use chrono::Duration;

use crate::access::{Principal, Refusal};
use crate::account::{
    self, AccountError, ApiToken, PasswordHash, Profile, ProfilePatch, SecretHash, Session, User,
    Username, UsernameClaim, MAX_TOKENS,
};
use crate::clock::Clock;
use crate::error::Error;
use crate::id::{TokenId, UserId};
use crate::store::{AggregateRef, Commit, Store, StoreError, Stored, Write};

use super::Service;

/// How often a change of an account is re-applied when another writer changed it first.
const ACCOUNT_TRIES: usize = 5;

/// A sign-up, as the adapter prepared it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// The id the adapter drew.
    pub id: UserId,
    /// The username asked for (checked by [`Username::new`]).
    pub username: String,
    /// The display name asked for.
    pub display_name: String,
    /// The hash of the password (checked by [`account::check_password`] before hashing).
    pub password_hash: PasswordHash,
}

/// A new API token, as the adapter prepared it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// The id the adapter drew.
    pub id: TokenId,
    /// Its name.
    pub name: String,
    /// The hash of the secret the adapter drew (and shows once).
    pub secret_hash: SecretHash,
}

/// A new browser session, as the adapter prepared it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The hash of the session id the adapter drew (its cookie's value).
    pub key: SecretHash,
    /// The hash of its CSRF token.
    pub csrf_hash: SecretHash,
    /// The account signed in.
    pub user: UserId,
    /// How long it lasts from now.
    pub lasts: Duration,
}

impl<S: Store, C: Clock> Service<S, C> {
    /// Creates an account with role `user`, its username claimed whatever its case.
    ///
    /// # Errors
    /// [`AccountError::InvalidUsername`], [`AccountError::InvalidDisplayName`],
    /// [`AccountError::UsernameTaken`]; the store's.
    pub async fn create_account(&self, new: NewAccount) -> Result<Stored<User>, Error> {
        let username = Username::new(new.username)?;
        let profile = Profile {
            display_name: account::display_name(&new.display_name)?,
            club: None,
            nation: None,
            rating: None,
        };
        let taken = || AccountError::UsernameTaken {
            username: username.to_string(),
        };
        if self
            .store
            .username_claim(&username.folded())
            .await?
            .is_some()
        {
            return Err(taken().into());
        }
        let user = User {
            id: new.id,
            username: username.clone(),
            profile,
            role: account::AccountRole::User,
            password_hash: new.password_hash,
            tokens: Vec::new(),
            created: self.clock.now(),
            notifications_read: 0,
        };
        let claim = UsernameClaim {
            username: username.folded(),
            user: user.id.clone(),
        };
        let commit = Commit {
            writes: vec![
                Write::UsernameClaim {
                    value: claim,
                    expected: None,
                },
                Write::User {
                    value: Box::new(user.clone()),
                    expected: None,
                },
            ],
            ..Commit::default()
        };
        match self.store.commit(commit).await {
            Ok(_) => Ok(Stored {
                version: 1,
                value: user,
            }),
            Err(StoreError::Conflict { aggregate, .. })
                if aggregate == AggregateRef::Username(username.folded()).to_string() =>
            {
                Err(taken().into())
            }
            Err(StoreError::Conflict { .. }) => Err(super::taken(&AggregateRef::User(user.id))),
            Err(other) => Err(other.into()),
        }
    }

    /// An account.
    ///
    /// # Errors
    /// [`AccountError::UnknownUser`]; the store's.
    pub async fn user(&self, id: &UserId) -> Result<Stored<User>, Error> {
        self.store
            .user(id)
            .await?
            .ok_or_else(|| AccountError::UnknownUser { id: id.to_string() }.into())
    }

    /// The account holding `username` in any case; `None` when none does (a name that
    /// breaks the username rules included).
    ///
    /// # Errors
    /// The store's.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<Stored<User>>, Error> {
        let Ok(name) = Username::new(username) else {
            return Ok(None);
        };
        let Some(claim) = self.store.username_claim(&name.folded()).await? else {
            return Ok(None);
        };
        Ok(self.store.user(&claim.value.user).await?)
    }

    /// Applies `change` to account `id` and commits it at the version it read, re-reading
    /// and re-applying when another writer came first.
    pub(super) async fn change_user<T>(
        &self,
        id: &UserId,
        change: impl Fn(&User) -> Result<(User, T), Error>,
    ) -> Result<(Stored<User>, T), Error> {
        let mut tries = 0;
        loop {
            tries += 1;
            let current = self.user(id).await?;
            let (next, answer) = change(&current.value)?;
            if next == current.value {
                return Ok((current, answer));
            }
            let commit = Commit {
                writes: vec![Write::User {
                    value: Box::new(next.clone()),
                    expected: Some(current.version),
                }],
                ..Commit::default()
            };
            match self.store.commit(commit).await {
                Ok(_) => {
                    let stored = Stored {
                        version: super::next_version(current.version),
                        value: next,
                    };
                    return Ok((stored, answer));
                }
                Err(StoreError::Conflict { .. }) if tries < ACCOUNT_TRIES => {}
                Err(other) => return Err(other.into()),
            }
        }
    }

    /// Changes the profile (and role) of account `id` as `principal`, after asking
    /// [`account::may_edit`].
    ///
    /// The outer result is whether the change could be made (the store, the rules of the
    /// fields), the inner one whether `principal` may make it.
    ///
    /// # Errors
    /// [`AccountError::UnknownUser`], the field rules' errors; the store's.
    pub async fn update_profile(
        &self,
        principal: &Principal,
        id: &UserId,
        patch: &ProfilePatch,
    ) -> Result<Result<Stored<User>, Refusal>, Error> {
        let outcome = self
            .change_user(id, |user| match account::may_edit(principal, user, patch) {
                Ok(()) => Ok((patch.apply(user)?, Ok(()))),
                Err(refusal) => Ok((user.clone(), Err(refusal))),
            })
            .await?;
        Ok(outcome.1.map(|()| outcome.0))
    }

    /// Adds an API token to account `id`.
    ///
    /// # Errors
    /// [`AccountError::UnknownUser`], [`AccountError::InvalidTokenName`],
    /// [`AccountError::TooManyTokens`], [`AccountError::TokenExists`]; the store's.
    pub async fn add_token(
        &self,
        id: &UserId,
        new: NewToken,
    ) -> Result<(Stored<User>, ApiToken), Error> {
        let name = account::token_name(&new.name)?;
        let now = self.clock.now();
        self.change_user(id, |user| {
            if user.tokens.len() >= MAX_TOKENS {
                return Err(AccountError::TooManyTokens.into());
            }
            if user.token(&new.id).is_some() {
                return Err(AccountError::TokenExists {
                    token: new.id.to_string(),
                }
                .into());
            }
            let token = ApiToken {
                id: new.id.clone(),
                name: name.clone(),
                created: now,
                secret_hash: new.secret_hash.clone(),
                revoked: None,
            };
            let mut next = user.clone();
            next.tokens.push(token.clone());
            Ok((next, token))
        })
        .await
    }

    /// Revokes API token `token` of account `id`; revoking a revoked token changes nothing.
    ///
    /// # Errors
    /// [`AccountError::UnknownUser`], [`AccountError::UnknownToken`]; the store's.
    pub async fn revoke_token(
        &self,
        id: &UserId,
        token: &TokenId,
    ) -> Result<(Stored<User>, ApiToken), Error> {
        let now = self.clock.now();
        self.change_user(id, |user| {
            let mut next = user.clone();
            let found = next
                .tokens
                .iter_mut()
                .find(|t| &t.id == token)
                .ok_or_else(|| AccountError::UnknownToken {
                    user: id.to_string(),
                    token: token.to_string(),
                })?;
            found.revoked.get_or_insert(now);
            let revoked = found.clone();
            Ok((next, revoked))
        })
        .await
    }

    /// API token `token` of account `id` with its account; `None` when either is unknown.
    /// Whether it is revoked is the caller's to read.
    ///
    /// # Errors
    /// The store's.
    pub async fn token(
        &self,
        id: &UserId,
        token: &TokenId,
    ) -> Result<Option<(Stored<User>, ApiToken)>, Error> {
        let Some(user) = self.store.user(id).await? else {
            return Ok(None);
        };
        let found = user.value.token(token).cloned();
        Ok(found.map(|token| (user, token)))
    }

    /// Opens a browser session for an account, lasting `new.lasts` from the clock's now.
    ///
    /// # Errors
    /// [`AccountError::UnknownUser`]; the store's.
    pub async fn open_session(&self, new: NewSession) -> Result<Stored<Session>, Error> {
        self.user(&new.user).await?;
        let now = self.clock.now();
        let session = Session {
            key: new.key,
            user: new.user,
            csrf_hash: new.csrf_hash,
            created: now,
            expires: now + new.lasts,
            ended: None,
        };
        let commit = Commit {
            writes: vec![Write::Session {
                value: session.clone(),
                expected: None,
            }],
            ..Commit::default()
        };
        self.store
            .commit(commit)
            .await
            .map_err(|e| super::created(e, &AggregateRef::Session(session.key.clone())))?;
        Ok(Stored {
            version: 1,
            value: session,
        })
    }

    /// The session stored under `key` with its account, when it is live at the clock's now
    /// ([`Session::live_at`]) and its account exists; `None` otherwise.
    ///
    /// # Errors
    /// The store's.
    pub async fn live_session(
        &self,
        key: &SecretHash,
    ) -> Result<Option<(Stored<Session>, Stored<User>)>, Error> {
        let Some(session) = self.store.session(key).await? else {
            return Ok(None);
        };
        if !session.value.live_at(self.clock.now()) {
            return Ok(None);
        }
        let user = self.store.user(&session.value.user).await?;
        Ok(user.map(|user| (session, user)))
    }

    /// Ends (signs out of) the session under `key`; whether a live one was ended.
    ///
    /// # Errors
    /// The store's (a conflict: another request ended or changed it at the same moment).
    pub async fn end_session(&self, key: &SecretHash) -> Result<bool, Error> {
        let Some(session) = self.store.session(key).await? else {
            return Ok(false);
        };
        let now = self.clock.now();
        if !session.value.live_at(now) {
            return Ok(false);
        }
        let mut ended = session.value;
        ended.ended = Some(now);
        let commit = Commit {
            writes: vec![Write::Session {
                value: ended,
                expected: Some(session.version),
            }],
            ..Commit::default()
        };
        self.store.commit(commit).await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::AccountRole;
    use crate::clock::ManualClock;
    use crate::store::{AggregateStore, MemoryStore};
    use chrono::{DateTime, Utc};

    fn service() -> Service<MemoryStore, ManualClock> {
        let start = DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000);
        Service::new(MemoryStore::new(), ManualClock::new(start))
    }

    fn hash(c: char) -> SecretHash {
        SecretHash::new(c.to_string().repeat(64)).unwrap()
    }

    fn sign_up(id: &str, username: &str) -> NewAccount {
        NewAccount {
            id: UserId::new(id).unwrap(),
            username: username.to_owned(),
            display_name: format!(" {username} "),
            password_hash: PasswordHash::new("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA").unwrap(),
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn a_username_is_taken_once_whatever_its_case() {
        block_on(async {
            let service = service();
            let alice = service
                .create_account(sign_up("u1", "Alice"))
                .await
                .unwrap();
            assert_eq!(alice.version, 1);
            assert_eq!(alice.value.profile.display_name, "Alice");
            assert_eq!(alice.value.role, AccountRole::User);
            let again = service
                .create_account(sign_up("u2", "aLICE"))
                .await
                .unwrap_err();
            assert_eq!(again.code(), "username_taken");
            assert!(service
                .store()
                .user(&UserId::new("u2").unwrap())
                .await
                .unwrap()
                .is_none());
            let found = service.user_by_username("ALICE").await.unwrap().unwrap();
            assert_eq!(found.value.id.as_str(), "u1");
            assert!(service.user_by_username("bob").await.unwrap().is_none());
            assert!(service.user_by_username("no such").await.unwrap().is_none());
            let bad = service
                .create_account(sign_up("u3", "a"))
                .await
                .unwrap_err();
            assert_eq!(bad.code(), "invalid_username");
            let same_id = service
                .create_account(sign_up("u1", "carol"))
                .await
                .unwrap_err();
            assert_eq!(same_id.code(), "id_taken");
            // The claim of carol was not left behind by the refused sign-up.
            assert!(service.create_account(sign_up("u4", "carol")).await.is_ok());
        });
    }

    #[test]
    fn profiles_change_by_their_holder_roles_by_an_admin() {
        block_on(async {
            let service = service();
            service.create_account(sign_up("u1", "erin")).await.unwrap();
            let id = UserId::new("u1").unwrap();
            let holder = Principal::new("u1", false);
            let patch = ProfilePatch {
                club: Some(Some("Bergen SK".into())),
                nation: Some(Some("NOR".into())),
                rating: Some(Some(1850)),
                ..ProfilePatch::default()
            };
            let changed = service
                .update_profile(&holder, &id, &patch)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(changed.version, 2);
            assert_eq!(changed.value.profile.rating, Some(1850));
            let promote = ProfilePatch {
                role: Some(AccountRole::Admin),
                ..ProfilePatch::default()
            };
            assert_eq!(
                service
                    .update_profile(&holder, &id, &promote)
                    .await
                    .unwrap(),
                Err(Refusal::NotAdmin)
            );
            let admin = Principal::new("root", true);
            let promoted = service
                .update_profile(&admin, &id, &promote)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(promoted.value.role, AccountRole::Admin);
            assert!(promoted.value.principal().is_admin());
            let bad = ProfilePatch {
                nation: Some(Some("Norway".into())),
                ..ProfilePatch::default()
            };
            let refused = service
                .update_profile(&holder, &id, &bad)
                .await
                .unwrap_err();
            assert_eq!(refused.code(), "invalid_nation");
            assert_eq!(service.user(&id).await.unwrap().version, 3);
            let unknown = UserId::new("nobody").unwrap();
            let missing = service
                .update_profile(&admin, &unknown, &patch)
                .await
                .unwrap_err();
            assert_eq!(missing.code(), "unknown_user");
        });
    }

    #[test]
    fn tokens_are_added_found_and_revoked() {
        block_on(async {
            let service = service();
            service.create_account(sign_up("u1", "fay")).await.unwrap();
            let id = UserId::new("u1").unwrap();
            let tid = TokenId::new("t1").unwrap();
            let new = NewToken {
                id: tid.clone(),
                name: "laptop".into(),
                secret_hash: hash('a'),
            };
            let (_, token) = service.add_token(&id, new.clone()).await.unwrap();
            assert_eq!(token.name, "laptop");
            assert_eq!(token.revoked, None);
            assert_eq!(
                service.add_token(&id, new).await.unwrap_err().code(),
                "token_exists"
            );
            let (_, found) = service.token(&id, &tid).await.unwrap().unwrap();
            assert_eq!(found.secret_hash, hash('a'));
            let (_, revoked) = service.revoke_token(&id, &tid).await.unwrap();
            let when = revoked.revoked.unwrap();
            // Revoking again keeps the first time.
            service.clock().advance(Duration::seconds(5));
            let (user, again) = service.revoke_token(&id, &tid).await.unwrap();
            assert_eq!(again.revoked, Some(when));
            assert_eq!(user.version, 3);
            let other = TokenId::new("t2").unwrap();
            assert_eq!(
                service.revoke_token(&id, &other).await.unwrap_err().code(),
                "unknown_token"
            );
            assert!(service.token(&id, &other).await.unwrap().is_none());
            let nameless = NewToken {
                id: other,
                name: " ".into(),
                secret_hash: hash('b'),
            };
            assert_eq!(
                service.add_token(&id, nameless).await.unwrap_err().code(),
                "invalid_token_name"
            );
            for i in 1..MAX_TOKENS {
                let new = NewToken {
                    id: TokenId::new(format!("n{i}")).unwrap(),
                    name: "n".into(),
                    secret_hash: hash('c'),
                };
                service.add_token(&id, new).await.unwrap();
            }
            let over = NewToken {
                id: TokenId::new("over").unwrap(),
                name: "n".into(),
                secret_hash: hash('c'),
            };
            assert_eq!(
                service.add_token(&id, over).await.unwrap_err().code(),
                "too_many_tokens"
            );
        });
    }

    #[test]
    fn sessions_live_until_they_expire_or_end() {
        block_on(async {
            let service = service();
            service.create_account(sign_up("u1", "gus")).await.unwrap();
            let open = |key| NewSession {
                key,
                csrf_hash: hash('f'),
                user: UserId::new("u1").unwrap(),
                lasts: Duration::hours(1),
            };
            service.open_session(open(hash('a'))).await.unwrap();
            let (session, user) = service.live_session(&hash('a')).await.unwrap().unwrap();
            assert_eq!(user.value.username.as_str(), "gus");
            assert_eq!(
                session.value.expires - session.value.created,
                Duration::hours(1)
            );
            assert!(service.live_session(&hash('b')).await.unwrap().is_none());
            service.clock().advance(Duration::hours(1));
            assert!(service.live_session(&hash('a')).await.unwrap().is_none());
            assert!(!service.end_session(&hash('a')).await.unwrap());
            service.open_session(open(hash('c'))).await.unwrap();
            assert!(service.end_session(&hash('c')).await.unwrap());
            assert!(service.live_session(&hash('c')).await.unwrap().is_none());
            assert!(!service.end_session(&hash('c')).await.unwrap());
            let stranger = NewSession {
                user: UserId::new("nobody").unwrap(),
                ..open(hash('d'))
            };
            assert_eq!(
                service.open_session(stranger).await.unwrap_err().code(),
                "unknown_user"
            );
        });
    }
}
