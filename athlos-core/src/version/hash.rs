//! Content addresses: the sha256 of a bracket's canonical JSON.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::VersionError;
use crate::bracket::Bracket;

/// The sha256 of a document's canonical bytes, written as 64 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContentHash(String);

impl ContentHash {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        let digest = Sha256::digest(bytes);
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push(HEX[usize::from(byte >> 4)]);
            hex.push(HEX[usize::from(byte & 0x0f)]);
        }
        Self(hex)
    }

    /// Parses 64 lower-case hex digits.
    ///
    /// # Errors
    /// [`VersionError::InvalidHash`] for anything else.
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        if text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(Self(text.to_owned()))
        } else {
            Err(VersionError::InvalidHash {
                text: text.to_owned(),
            })
        }
    }

    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const HEX: [char; 16] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f',
];

impl TryFrom<String> for ContentHash {
    type Error = VersionError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ContentHash> for String {
    fn from(value: ContentHash) -> Self {
        value.0
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The canonical JSON of a bracket: compact, fields in declaration order, maps and sets
/// sorted (the document holds only `BTreeMap`/`BTreeSet` and `Vec`), so equal brackets give
/// equal bytes.
///
/// # Errors
/// [`VersionError::Serialize`] if serialization fails (it does not for a valid bracket).
pub fn canonical_json(bracket: &Bracket) -> Result<Vec<u8>, VersionError> {
    serde_json::to_vec(bracket).map_err(|error| VersionError::Serialize {
        reason: error.to_string(),
    })
}

/// The content address of a bracket: the [`ContentHash`] of its [`canonical_json`].
///
/// # Errors
/// As [`canonical_json`].
pub fn content_hash(bracket: &Bracket) -> Result<ContentHash, VersionError> {
    Ok(ContentHash::of(&canonical_json(bracket)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_of_empty_input_is_the_known_sha256() {
        assert_eq!(
            ContentHash::of(b"").as_str(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(ContentHash::parse("E3B0").is_err());
        let parsed = ContentHash::parse(ContentHash::of(b"x").as_str()).unwrap();
        assert_eq!(parsed, ContentHash::of(b"x"));
    }
}
