//! User accounts: the [`User`] aggregate, its profile and API tokens, browser [`Session`]s,
//! the rules their fields follow, who may change them, and the sign-in [`Throttle`].
//!
//! The core never sees a password or a secret, and never draws a random number: the adapter
//! hashes a password (argon2id in `athlos serve`) into an opaque [PHC string](PasswordHash),
//! draws user, token and session ids, and hands the core only hashes of secrets
//! ([`SecretHash`]). What the core decides is everything else: which usernames, display
//! names, clubs, nations and ratings are valid ([`check_password`] included, so that every
//! adapter asks the same length of a password), that a username is taken once whatever its
//! case (the [`UsernameClaim`] aggregate, written at version 0 in the same commit as the
//! user, so two sign-ups racing for one name cannot both succeed), when a session is live,
//! who may edit a profile or change a role ([`may_edit`]), and when sign-in attempts are
//! refused for a while ([`Throttle`]).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::access::{Principal, Refusal, Role};
use crate::id::{TokenId, UserId};

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted, in bytes (hashing cost grows with it).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Username length bounds, in characters.
pub const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 3..=32;
/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 64;
/// Longest club name, in characters.
pub const MAX_CLUB_CHARS: usize = 100;
/// Highest rating (lowest is 0).
pub const MAX_RATING: u32 = 4000;
/// Longest API token name, in characters.
pub const MAX_TOKEN_NAME_CHARS: usize = 64;
/// Most API tokens one account keeps (revoked ones included: they stay listed).
pub const MAX_TOKENS: usize = 50;

/// Why an account operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AccountError {
    /// A username outside the rules.
    #[error("invalid username: {reason}")]
    InvalidUsername {
        /// Which rule.
        reason: String,
    },
    /// A password outside the rules.
    #[error("invalid password: {reason}")]
    InvalidPassword {
        /// Which rule.
        reason: String,
    },
    /// A display name outside the rules.
    #[error("invalid display name: {reason}")]
    InvalidDisplayName {
        /// Which rule.
        reason: String,
    },
    /// A club outside the rules.
    #[error("invalid club: {reason}")]
    InvalidClub {
        /// Which rule.
        reason: String,
    },
    /// A nation that is not a three-letter code.
    #[error("invalid nation {nation:?}: use a three-letter upper-case code such as \"NOR\"")]
    InvalidNation {
        /// The nation given.
        nation: String,
    },
    /// A rating out of range.
    #[error("invalid rating {rating}: ratings are 0 to {MAX_RATING}")]
    InvalidRating {
        /// The rating given.
        rating: i64,
    },
    /// A token name outside the rules.
    #[error("invalid token name: {reason}")]
    InvalidTokenName {
        /// Which rule.
        reason: String,
    },
    /// A stored hash that is not one (a password hash that is not a PHC string, a secret
    /// hash that is not 64 hex digits).
    #[error("invalid {what}: {reason}")]
    InvalidHash {
        /// Which hash.
        what: &'static str,
        /// Which rule.
        reason: String,
    },
    /// The username is taken (in any case).
    #[error("the username {username:?} is taken")]
    UsernameTaken {
        /// The username asked for.
        username: String,
    },
    /// No account with this id.
    #[error("unknown user \"{id}\"")]
    UnknownUser {
        /// The id.
        id: String,
    },
    /// No API token with this id on this account.
    #[error("user \"{user}\" has no API token \"{token}\"")]
    UnknownToken {
        /// The account.
        user: String,
        /// The token id.
        token: String,
    },
    /// A new token on an account that keeps [`MAX_TOKENS`] already.
    #[error("an account keeps at most {MAX_TOKENS} API tokens")]
    TooManyTokens,
    /// A token id given twice (the adapter drew one in use).
    #[error("API token \"{token}\" already exists")]
    TokenExists {
        /// The token id.
        token: String,
    },
}

crate::codes::error_codes! {
AccountError {
    InvalidUsername => "invalid_username", Invalid;
    InvalidPassword => "invalid_password", Invalid;
    InvalidDisplayName => "invalid_display_name", Invalid;
    InvalidClub => "invalid_club", Invalid;
    InvalidNation => "invalid_nation", Invalid;
    InvalidRating => "invalid_rating", Invalid;
    InvalidTokenName => "invalid_token_name", Invalid;
    InvalidHash => "invalid_hash", Invalid;
    UsernameTaken => "username_taken", Conflict;
    UnknownUser => "unknown_user", NotFound;
    UnknownToken => "unknown_token", NotFound;
    TooManyTokens => "too_many_tokens", Conflict;
    TokenExists => "token_exists", Conflict;
}
}

/// A username (a handle): 3 to 32 ASCII letters, digits, `_`, `-` or `.`, starting with a
/// letter or a digit. It keeps the case it was given; two usernames that differ only in case
/// are the same account ([`Username::folded`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    /// A username, checked.
    ///
    /// # Errors
    /// [`AccountError::InvalidUsername`] naming the rule broken.
    pub fn new(name: impl Into<String>) -> Result<Self, AccountError> {
        let name = name.into();
        let invalid = |reason: &str| {
            Err(AccountError::InvalidUsername {
                reason: reason.to_owned(),
            })
        };
        let chars = name.chars().count();
        if !USERNAME_CHARS.contains(&chars) {
            return invalid("use 3 to 32 characters");
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return invalid("use only ASCII letters, digits, '_', '-' and '.'");
        }
        if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return invalid("start with a letter or a digit");
        }
        Ok(Self(name))
    }

    /// The username in lower case: the key under which it is claimed.
    pub fn folded(&self) -> Username {
        Username(self.0.to_ascii_lowercase())
    }

    /// The username as typed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = AccountError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Username> for String {
    fn from(value: Username) -> Self {
        value.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password hash as an opaque PHC string (`$argon2id$v=19$…`) the adapter computed. The
/// core stores it and gives it back to the adapter to verify; it never prints it
/// (`Debug` shows `PasswordHash(..)`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PasswordHash(String);

impl PasswordHash {
    /// A PHC string, checked for its shape only (`$` and an algorithm, printable ASCII).
    ///
    /// # Errors
    /// [`AccountError::InvalidHash`].
    pub fn new(phc: impl Into<String>) -> Result<Self, AccountError> {
        let phc = phc.into();
        let shaped = phc.starts_with('$')
            && phc.len() > 1
            && phc.len() <= 512
            && phc.bytes().all(|b| b.is_ascii_graphic());
        if !shaped {
            return Err(AccountError::InvalidHash {
                what: "password hash",
                reason: "expected a PHC string such as $argon2id$…".to_owned(),
            });
        }
        Ok(Self(phc))
    }

    /// The PHC string, for the adapter's verifier.
    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

impl TryFrom<String> for PasswordHash {
    type Error = AccountError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<PasswordHash> for String {
    fn from(value: PasswordHash) -> Self {
        value.0
    }
}

/// The hash of a secret (an API token's secret, a session id, a CSRF token): 64 lower-case
/// hex digits of SHA-256, computed by the adapter. `Debug` does not print it.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SecretHash(String);

impl SecretHash {
    /// A hash, checked: 64 lower-case hex digits.
    ///
    /// # Errors
    /// [`AccountError::InvalidHash`].
    pub fn new(hex: impl Into<String>) -> Result<Self, AccountError> {
        let hex = hex.into();
        if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(AccountError::InvalidHash {
                what: "secret hash",
                reason: "expected 64 lower-case hex digits".to_owned(),
            });
        }
        Ok(Self(hex))
    }

    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

impl fmt::Display for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for SecretHash {
    type Error = AccountError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<SecretHash> for String {
    fn from(value: SecretHash) -> Self {
        value.0
    }
}

/// An account's role. Only [`AccountRole::Admin`] carries rights of its own (acting as any
/// director, changing roles); a director creates and directs tournaments as anyone may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    /// A signed-up person.
    User,
    /// Someone who runs tournaments.
    Director,
    /// An administrator.
    Admin,
}

impl AccountRole {
    /// Every account role.
    pub const ALL: [AccountRole; 3] =
        [AccountRole::User, AccountRole::Director, AccountRole::Admin];

    /// The role as the access rules name it.
    pub fn role(self) -> Role {
        match self {
            AccountRole::User => Role::User,
            AccountRole::Director => Role::Director,
            AccountRole::Admin => Role::Admin,
        }
    }

    /// The role's name (`user`, `director`, `admin`).
    pub fn as_str(self) -> &'static str {
        self.role().as_str()
    }

    /// The account role named `name`, exactly.
    pub fn named(name: &str) -> Option<AccountRole> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// What a profile shows: a display name and, when given, a club, a nation and a rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// 1 to 64 characters, no control characters, not blank.
    pub display_name: String,
    /// Up to 100 characters, no control characters.
    pub club: Option<String>,
    /// A three-letter upper-case code (`NOR`, `GER` …).
    pub nation: Option<String>,
    /// 0 to 4000.
    pub rating: Option<u32>,
}

/// An API token of an account: what it was named, when it was made and revoked, and the
/// hash of its secret (the secret itself is shown once, by the adapter, and kept nowhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiToken {
    /// Its id (part of the token the client sends).
    pub id: TokenId,
    /// What the user called it.
    pub name: String,
    /// When it was made.
    pub created: DateTime<Utc>,
    /// The hash of its secret.
    pub secret_hash: SecretHash,
    /// When it was revoked (`None`: it is honoured).
    pub revoked: Option<DateTime<Utc>>,
}

/// A user account: the aggregate behind sign-in, profiles and API tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// Its id, the subject of its principal.
    pub id: UserId,
    /// Its username, unique whatever the case.
    pub username: Username,
    /// Its profile.
    pub profile: Profile,
    /// Its role.
    pub role: AccountRole,
    /// The hash of its password.
    pub password_hash: PasswordHash,
    /// Its API tokens, in creation order.
    pub tokens: Vec<ApiToken>,
    /// When it signed up.
    pub created: DateTime<Utc>,
    /// Its read cursor: every notification with an id up to this one is read
    /// ([`crate::notify`]; 0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub notifications_read: u64,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl User {
    /// The account as the access rules know it: its id, an administrator when its role is.
    pub fn principal(&self) -> Principal {
        Principal::new(self.id.as_str(), self.role == AccountRole::Admin)
    }

    /// Its token `id`, revoked or not.
    pub fn token(&self, id: &TokenId) -> Option<&ApiToken> {
        self.tokens.iter().find(|t| &t.id == id)
    }
}

/// The claim of a username: the aggregate keyed by the folded username that names its
/// account. It is created with the account in one commit and never changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsernameClaim {
    /// The username, folded to lower case (the aggregate's key).
    pub username: Username,
    /// The account that holds it.
    pub user: UserId,
}

/// A browser session, stored under the hash of its id (the id itself is the cookie's value
/// and is kept nowhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// The hash of the session id (the aggregate's key).
    pub key: SecretHash,
    /// The account signed in.
    pub user: UserId,
    /// The hash of the session's CSRF token.
    pub csrf_hash: SecretHash,
    /// When it was opened.
    pub created: DateTime<Utc>,
    /// When it expires.
    pub expires: DateTime<Utc>,
    /// When it was signed out of (`None`: not yet).
    pub ended: Option<DateTime<Utc>>,
}

impl Session {
    /// Whether the session is live at `now`: not signed out of, not expired (it expires at
    /// `expires` exactly).
    pub fn live_at(&self, now: DateTime<Utc>) -> bool {
        self.ended.is_none() && now < self.expires
    }
}

/// Checks a password against the rules: at least [`MIN_PASSWORD_CHARS`] characters, at most
/// [`MAX_PASSWORD_BYTES`] bytes. The adapter asks before hashing.
///
/// # Errors
/// [`AccountError::InvalidPassword`].
pub fn check_password(password: &str) -> Result<(), AccountError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::InvalidPassword {
            reason: format!("use at least {MIN_PASSWORD_CHARS} characters"),
        });
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AccountError::InvalidPassword {
            reason: format!("use at most {MAX_PASSWORD_BYTES} bytes"),
        });
    }
    Ok(())
}

/// `text` as a bounded single-line text, trimmed: not blank, at most `max` characters, no
/// control characters; the reason otherwise.
fn line(text: &str, max: usize) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("must not be blank".to_owned());
    }
    if trimmed.chars().count() > max {
        return Err(format!("use at most {max} characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(trimmed.to_owned())
}

/// A display name, checked and trimmed.
///
/// # Errors
/// [`AccountError::InvalidDisplayName`].
pub fn display_name(text: &str) -> Result<String, AccountError> {
    line(text, MAX_DISPLAY_NAME_CHARS).map_err(|reason| AccountError::InvalidDisplayName { reason })
}

/// A club, checked and trimmed; an empty one is no club.
///
/// # Errors
/// [`AccountError::InvalidClub`].
pub fn club(text: &str) -> Result<Option<String>, AccountError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    line(text, MAX_CLUB_CHARS)
        .map(Some)
        .map_err(|reason| AccountError::InvalidClub { reason })
}

/// A nation: three ASCII upper-case letters; an empty one is no nation.
///
/// # Errors
/// [`AccountError::InvalidNation`].
pub fn nation(text: &str) -> Result<Option<String>, AccountError> {
    if text.is_empty() {
        return Ok(None);
    }
    if text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(Some(text.to_owned()))
    } else {
        Err(AccountError::InvalidNation {
            nation: text.to_owned(),
        })
    }
}

/// A rating, 0 to [`MAX_RATING`].
///
/// # Errors
/// [`AccountError::InvalidRating`].
pub fn rating(value: i64) -> Result<u32, AccountError> {
    u32::try_from(value)
        .ok()
        .filter(|r| *r <= MAX_RATING)
        .ok_or(AccountError::InvalidRating { rating: value })
}

/// An API token's name, checked and trimmed.
///
/// # Errors
/// [`AccountError::InvalidTokenName`].
pub fn token_name(text: &str) -> Result<String, AccountError> {
    line(text, MAX_TOKEN_NAME_CHARS).map_err(|reason| AccountError::InvalidTokenName { reason })
}

/// A change of a profile (and, by an administrator, of the role): each field given is set;
/// `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfilePatch {
    /// A new display name.
    pub display_name: Option<String>,
    /// A new club, or none.
    pub club: Option<Option<String>>,
    /// A new nation, or none.
    pub nation: Option<Option<String>>,
    /// A new rating, or none.
    pub rating: Option<Option<i64>>,
    /// A new role (administrators only).
    pub role: Option<AccountRole>,
}

impl ProfilePatch {
    /// `user` with the patch applied, every field checked.
    ///
    /// # Errors
    /// The first field that breaks its rule.
    pub fn apply(&self, user: &User) -> Result<User, AccountError> {
        let mut next = user.clone();
        if let Some(name) = &self.display_name {
            next.profile.display_name = display_name(name)?;
        }
        if let Some(value) = &self.club {
            next.profile.club = value.as_deref().map(club).transpose()?.flatten();
        }
        if let Some(value) = &self.nation {
            next.profile.nation = value.as_deref().map(nation).transpose()?.flatten();
        }
        if let Some(value) = self.rating {
            next.profile.rating = value.map(rating).transpose()?;
        }
        if let Some(role) = self.role {
            next.role = role;
        }
        Ok(next)
    }
}

/// Whether `principal` may edit account `user` with `patch`: the account holder edits their
/// own profile, an administrator any; only an administrator changes a role (setting the role
/// an account has already is no change).
///
/// # Errors
/// [`Refusal::NotAccountHolder`], [`Refusal::NotAdmin`].
pub fn may_edit(principal: &Principal, user: &User, patch: &ProfilePatch) -> Result<(), Refusal> {
    may_act_for(principal, &user.id)?;
    if patch.role.is_some_and(|role| role != user.role) && !principal.is_admin() {
        return Err(Refusal::NotAdmin);
    }
    Ok(())
}

/// Whether `principal` may act for account `user` (list and revoke its tokens, edit its
/// profile): its holder or an administrator.
///
/// # Errors
/// [`Refusal::NotAccountHolder`].
pub fn may_act_for(principal: &Principal, user: &UserId) -> Result<(), Refusal> {
    if principal.is_admin() || principal.subject() == user.as_str() {
        Ok(())
    } else {
        Err(Refusal::NotAccountHolder)
    }
}

/// Whether `principal` may create an API token for account `user`: its holder only (a token
/// acts as the account; an administrator has tokens of their own).
///
/// # Errors
/// [`Refusal::NotAccountHolder`].
pub fn may_create_token(principal: &Principal, user: &UserId) -> Result<(), Refusal> {
    if principal.subject() == user.as_str() {
        Ok(())
    } else {
        Err(Refusal::NotAccountHolder)
    }
}

/// Failed sign-in attempts counted by key (a folded username, a client address) over a
/// sliding window: after `limit` failures within `window`, the key is refused until the
/// oldest of them leaves the window. Time is given by the caller (the server's clock); the
/// throttle forgets keys whose failures all left the window.
#[derive(Debug, Clone)]
pub struct Throttle {
    limit: usize,
    window: Duration,
    failures: BTreeMap<String, Vec<DateTime<Utc>>>,
}

impl Throttle {
    /// Keys whose failures the throttle keeps before it forgets the stale ones.
    const PRUNE_ABOVE: usize = 10_000;

    /// A throttle refusing a key after `limit` failures within `window`.
    pub fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit: limit.max(1),
            window,
            failures: BTreeMap::new(),
        }
    }

    /// The failures of `key` still in the window at `now`.
    fn recent(&self, key: &str, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        self.failures
            .get(key)
            .map(|times| {
                times
                    .iter()
                    .copied()
                    .filter(|t| *t + self.window > now)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `Ok` when `key` may try at `now`, else how long until it may.
    ///
    /// # Errors
    /// The wait, at least one second.
    pub fn check(&self, key: &str, now: DateTime<Utc>) -> Result<(), Duration> {
        let recent = self.recent(key, now);
        if recent.len() < self.limit {
            return Ok(());
        }
        // The attempt that brings the count under the limit leaves the window first.
        let freeing = recent[recent.len() - self.limit];
        let wait = freeing + self.window - now;
        Err(wait.max(Duration::seconds(1)))
    }

    /// Counts a failure of `key` at `now`.
    pub fn fail(&mut self, key: &str, now: DateTime<Utc>) {
        let mut recent = self.recent(key, now);
        recent.push(now);
        self.failures.insert(key.to_owned(), recent);
        if self.failures.len() > Self::PRUNE_ABOVE {
            let window = self.window;
            self.failures
                .retain(|_, times| times.iter().any(|t| *t + window > now));
        }
    }

    /// Takes back one failure of `key` counted at `at` (an attempt counted before it was
    /// decided, so that attempts running at the same time cannot pass the limit together,
    /// and that then succeeded).
    pub fn forgive(&mut self, key: &str, at: DateTime<Utc>) {
        if let Some(times) = self.failures.get_mut(key) {
            if let Some(i) = times.iter().rposition(|t| *t == at) {
                times.remove(i);
            }
            if times.is_empty() {
                self.failures.remove(key);
            }
        }
    }

    /// Forgets the failures of `key` (after a successful sign-in).
    pub fn clear(&mut self, key: &str) {
        self.failures.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, role: AccountRole) -> User {
        User {
            id: UserId::new(id).unwrap(),
            username: Username::new("Alice").unwrap(),
            profile: Profile {
                display_name: "Alice".into(),
                club: None,
                nation: None,
                rating: None,
            },
            role,
            password_hash: PasswordHash::new("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA").unwrap(),
            tokens: Vec::new(),
            created: DateTime::<Utc>::UNIX_EPOCH,
            notifications_read: 0,
        }
    }

    #[test]
    fn usernames_follow_the_rules_and_fold_to_lower_case() {
        for good in ["abc", "Alice_92", "a.b-c", "9lives", &"x".repeat(32)] {
            assert_eq!(Username::new(good).unwrap().as_str(), good);
        }
        let reason = |name: &str| match Username::new(name) {
            Err(AccountError::InvalidUsername { reason }) => reason,
            other => panic!("{name:?}: {other:?}"),
        };
        assert_eq!(reason("ab"), "use 3 to 32 characters");
        assert_eq!(reason(&"x".repeat(33)), "use 3 to 32 characters");
        assert_eq!(
            reason("al ice"),
            "use only ASCII letters, digits, '_', '-' and '.'"
        );
        assert_eq!(
            reason("ålice"),
            "use only ASCII letters, digits, '_', '-' and '.'"
        );
        assert_eq!(reason("_alice"), "start with a letter or a digit");
        assert_eq!(Username::new("AliCE").unwrap().folded().as_str(), "alice");
        assert!(serde_json::from_str::<Username>("\"a b\"").is_err());
    }

    #[test]
    fn passwords_need_ten_characters_and_at_most_a_kilobyte() {
        assert!(check_password("123456789").is_err());
        assert_eq!(check_password("1234567890"), Ok(()));
        // Characters, not bytes: ten accented letters are enough.
        assert_eq!(check_password(&"é".repeat(10)), Ok(()));
        assert_eq!(
            check_password(&"x".repeat(1025)).unwrap_err().code(),
            "invalid_password"
        );
    }

    #[test]
    fn profile_fields_are_checked() {
        assert_eq!(display_name("  Ann  ").unwrap(), "Ann");
        assert_eq!(
            display_name(" ").unwrap_err().code(),
            "invalid_display_name"
        );
        assert_eq!(
            display_name(&"n".repeat(65)).unwrap_err().code(),
            "invalid_display_name"
        );
        assert_eq!(
            display_name("a\nb").unwrap_err().code(),
            "invalid_display_name"
        );
        assert_eq!(club("").unwrap(), None);
        assert_eq!(club(" Oslo SK ").unwrap().as_deref(), Some("Oslo SK"));
        assert_eq!(club(&"c".repeat(101)).unwrap_err().code(), "invalid_club");
        assert_eq!(nation("NOR").unwrap().as_deref(), Some("NOR"));
        assert_eq!(nation("").unwrap(), None);
        for bad in ["nor", "NO", "NORW", "N0R"] {
            assert_eq!(nation(bad).unwrap_err().code(), "invalid_nation", "{bad}");
        }
        assert_eq!(rating(0).unwrap(), 0);
        assert_eq!(rating(4000).unwrap(), 4000);
        assert_eq!(
            rating(4001).unwrap_err(),
            AccountError::InvalidRating { rating: 4001 }
        );
        assert_eq!(rating(-1).unwrap_err().code(), "invalid_rating");
        assert_eq!(token_name("ci").unwrap(), "ci");
        assert_eq!(token_name("").unwrap_err().code(), "invalid_token_name");
    }

    #[test]
    fn a_patch_sets_and_clears_fields() {
        let before = user("u1", AccountRole::User);
        let patch = ProfilePatch {
            display_name: Some("Alice L.".into()),
            club: Some(Some("Oslo SK".into())),
            nation: Some(Some("NOR".into())),
            rating: Some(Some(2100)),
            role: None,
        };
        let after = patch.apply(&before).unwrap();
        assert_eq!(
            after.profile,
            Profile {
                display_name: "Alice L.".into(),
                club: Some("Oslo SK".into()),
                nation: Some("NOR".into()),
                rating: Some(2100),
            }
        );
        let cleared = ProfilePatch {
            club: Some(None),
            rating: Some(None),
            ..ProfilePatch::default()
        }
        .apply(&after)
        .unwrap();
        assert_eq!(cleared.profile.club, None);
        assert_eq!(cleared.profile.rating, None);
        assert_eq!(cleared.profile.nation.as_deref(), Some("NOR"));
        let bad = ProfilePatch {
            rating: Some(Some(9000)),
            ..ProfilePatch::default()
        };
        assert_eq!(bad.apply(&before).unwrap_err().code(), "invalid_rating");
    }

    #[test]
    fn holders_edit_their_profile_admins_change_roles() {
        let alice = user("u1", AccountRole::User);
        let holder = Principal::new("u1", false);
        let other = Principal::new("u2", false);
        let admin = Principal::new("root", true);
        let rename = ProfilePatch {
            display_name: Some("A".into()),
            ..ProfilePatch::default()
        };
        let promote = ProfilePatch {
            role: Some(AccountRole::Director),
            ..ProfilePatch::default()
        };
        let same_role = ProfilePatch {
            role: Some(AccountRole::User),
            ..ProfilePatch::default()
        };
        assert_eq!(may_edit(&holder, &alice, &rename), Ok(()));
        assert_eq!(
            may_edit(&other, &alice, &rename),
            Err(Refusal::NotAccountHolder)
        );
        assert_eq!(may_edit(&holder, &alice, &promote), Err(Refusal::NotAdmin));
        assert_eq!(may_edit(&holder, &alice, &same_role), Ok(()));
        assert_eq!(may_edit(&admin, &alice, &promote), Ok(()));
        assert_eq!(may_create_token(&holder, &alice.id), Ok(()));
        assert_eq!(
            may_create_token(&admin, &alice.id),
            Err(Refusal::NotAccountHolder)
        );
        assert_eq!(may_act_for(&admin, &alice.id), Ok(()));
        assert_eq!(
            may_act_for(&other, &alice.id),
            Err(Refusal::NotAccountHolder)
        );
        assert_eq!(alice.principal(), Principal::new("u1", false));
        assert!(user("u9", AccountRole::Admin).principal().is_admin());
    }

    #[test]
    fn hashes_are_checked_and_never_printed() {
        assert!(SecretHash::new("ab").is_err());
        assert!(SecretHash::new("A".repeat(64)).is_err());
        let hash = SecretHash::new("a".repeat(64)).unwrap();
        assert_eq!(format!("{hash:?}"), "SecretHash(..)");
        assert!(PasswordHash::new("plain text").is_err());
        let phc = PasswordHash::new("$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA").unwrap();
        assert_eq!(format!("{phc:?}"), "PasswordHash(..)");
        assert!(!format!("{:?}", user("u1", AccountRole::User)).contains("argon2"));
    }

    #[test]
    fn a_session_is_live_until_it_expires_or_ends() {
        let at = |s: i64| DateTime::<Utc>::UNIX_EPOCH + Duration::seconds(s);
        let mut session = Session {
            key: SecretHash::new("b".repeat(64)).unwrap(),
            user: UserId::new("u1").unwrap(),
            csrf_hash: SecretHash::new("c".repeat(64)).unwrap(),
            created: at(0),
            expires: at(100),
            ended: None,
        };
        assert!(session.live_at(at(99)));
        assert!(!session.live_at(at(100)));
        session.ended = Some(at(50));
        assert!(!session.live_at(at(60)));
    }

    #[test]
    fn the_throttle_refuses_after_the_limit_until_the_window_passes() {
        let at = |s: i64| DateTime::<Utc>::UNIX_EPOCH + Duration::seconds(s);
        let mut throttle = Throttle::new(5, Duration::minutes(15));
        for s in 0..5 {
            assert_eq!(throttle.check("alice", at(s * 10)), Ok(()));
            throttle.fail("alice", at(s * 10));
        }
        // The fifth failure was at 40 s; the first leaves the window at 900 s.
        assert_eq!(throttle.check("alice", at(41)), Err(Duration::seconds(859)));
        assert_eq!(throttle.check("bob", at(41)), Ok(()));
        assert_eq!(throttle.check("alice", at(899)), Err(Duration::seconds(1)));
        assert_eq!(throttle.check("alice", at(900)), Ok(()));
        throttle.fail("alice", at(900));
        assert_eq!(throttle.check("alice", at(901)), Err(Duration::seconds(9)));
        throttle.clear("alice");
        assert_eq!(throttle.check("alice", at(901)), Ok(()));
        // An attempt counted ahead and then forgiven leaves the count as it was.
        for s in 0..4 {
            throttle.fail("carol", at(1000 + s));
        }
        throttle.fail("carol", at(1010));
        assert!(throttle.check("carol", at(1010)).is_err());
        throttle.forgive("carol", at(1010));
        assert_eq!(throttle.check("carol", at(1010)), Ok(()));
        throttle.forgive("carol", at(5));
        for s in 0..4 {
            throttle.forgive("carol", at(1000 + s));
        }
        assert!(throttle.failures.is_empty());
    }
}
