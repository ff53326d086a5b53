//! Whose history a request reads and writes, and the cryptography of the private lists.
//!
//! A browser holds a random 256-bit secret (its cookie); the server keeps nothing but what it derives from it on
//! each request. SHA-512 over a fixed, versioned label and the secret gives 64 bytes, split in two independent
//! values: 16 bytes name the list in the store (the one-way hash reveals nothing of the cookie) and 32 bytes are a
//! ChaCha20-Poly1305 key that seals each entry, with a random nonce stored in front of it and the list's name as
//! associated data (an entry copied into another list does not open there). Without the cookie, a dump of the
//! store is names and ciphertexts.
//!
//! Why one hash and not HKDF: the secret is already 256 uniformly random bits, so HKDF's extract step has
//! nothing to do, and its HMACs cost ten SHA-256 compressions (≈ 23 k instructions, measured with callgrind) on
//! every request with a cookie; one SHA-512 block is one compression. The label separates this use of the secret
//! from any other, and a new label (v2) would derive unrelated values from the same cookie.

use std::fmt;

use rand::TryRng;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::digest::{SHA512, digest};

use crate::generator::GenerationError;

/// Bytes of the cookie's secret: 256 bits, well over the 128 the issue asks for.
pub const SECRET_LEN: usize = 32;
/// Bytes of a list's name, from the secret (128 bits: no two browsers collide).
const LIST_ID_LEN: usize = 16;
/// Prefix of every private list's key in the store, after the shared list's own name.
pub const PRIVATE_KEY_PREFIX: &str = "senhas:privado:";

/// The fixed label hashed before the secret: versioned so a future construction never derives the same values
/// from the same cookie.
const KDF_LABEL: &[u8] = b"giropops-senhas private history v1\0";
/// Bytes of the ChaCha20-Poly1305 key, taken from the hash after the list id.
const ENTRY_KEY_LEN: usize = 32;

/// The secret a browser's cookie carries. Its `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct VisitorSecret([u8; SECRET_LEN]);

impl fmt::Debug for VisitorSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VisitorSecret(…)")
    }
}

impl VisitorSecret {
    /// A new secret from the OS CSPRNG.
    pub fn random() -> Result<Self, GenerationError> {
        let mut bytes = [0u8; SECRET_LEN];
        rand::rngs::SysRng
            .try_fill_bytes(&mut bytes)
            .map_err(|e| GenerationError::Rng(e.to_string()))?;
        Ok(Self(bytes))
    }

    /// The cookie's value: lowercase hex (no alphabet a cookie or a proxy would mangle).
    pub fn to_cookie_value(&self) -> String {
        hex(&self.0)
    }

    /// Exactly 64 hex digits; anything else is not one of our cookies.
    pub fn from_cookie_value(value: &str) -> Option<Self> {
        Self::from_cookie_bytes(value.as_bytes())
    }

    /// [`VisitorSecret::from_cookie_value`] on the header's bytes (no UTF-8 check needed: only hex passes).
    pub fn from_cookie_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != SECRET_LEN * 2 {
            return None;
        }
        let mut secret = [0u8; SECRET_LEN];
        for (out, pair) in secret.iter_mut().zip(bytes.chunks_exact(2)) {
            *out = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
        }
        Some(Self(secret))
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Whose history a request touches.
pub enum Visitor {
    /// HISTORY_SCOPE=shared: the course app's one list, for everyone.
    Shared,
    /// Private scope, no (valid) cookie: nothing recorded, an empty history.
    Anonymous,
    /// Private scope with a cookie: that browser's list.
    Private(PrivateList),
}

/// One browser's list: its name in the store and the key of its entries, both derived from the cookie. The
/// key is kept as bytes and the cipher built where it is used: `ring`'s key object is 544 bytes, and moving it
/// through the extractor and the handler's futures cost more instructions than building it once per use.
pub struct PrivateList {
    key: String,
    entry_key: [u8; ENTRY_KEY_LEN],
}

impl fmt::Debug for PrivateList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The store key is not secret (it is in every dump), but there is no reason to log it either.
        f.write_str("PrivateList(…)")
    }
}

/// A derivation `ring` refused: only possible for a key of the wrong length, i.e. a bug here.
#[derive(Debug, thiserror::Error)]
#[error("the private history's key derivation failed")]
pub struct DerivationError;

impl PrivateList {
    /// One SHA-512 block: what every request with a cookie pays.
    pub fn derive(secret: &VisitorSecret) -> Result<Self, DerivationError> {
        let mut input = [0u8; KDF_LABEL.len() + SECRET_LEN];
        input[..KDF_LABEL.len()].copy_from_slice(KDF_LABEL);
        input[KDF_LABEL.len()..].copy_from_slice(&secret.0);
        let hash = digest(&SHA512, &input);
        let (id, rest) = hash.as_ref().split_at(LIST_ID_LEN);
        let entry_key = rest
            .get(..ENTRY_KEY_LEN)
            .and_then(|k| <[u8; ENTRY_KEY_LEN]>::try_from(k).ok())
            .ok_or(DerivationError)?;
        Ok(Self {
            key: format!("{PRIVATE_KEY_PREFIX}{}", hex(id)),
            entry_key,
        })
    }

    /// The list's key in the store.
    pub fn store_key(&self) -> &str {
        &self.key
    }

    fn cipher(&self) -> Option<LessSafeKey> {
        // Only a key of the wrong length is refused, and ours has the right one by type.
        UnboundKey::new(&CHACHA20_POLY1305, &self.entry_key)
            .ok()
            .map(LessSafeKey::new)
    }

    /// `nonce ‖ ciphertext ‖ tag` of `secret`, under a fresh random nonce (a random 96-bit nonce per entry is
    /// safe far beyond the entries one list ever holds).
    pub fn seal(&self, secret: &str) -> Result<Vec<u8>, GenerationError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::SysRng
            .try_fill_bytes(&mut nonce)
            .map_err(|e| GenerationError::Rng(e.to_string()))?;
        let cipher = self.cipher().ok_or(GenerationError::Internal(
            "the history entry key was refused",
        ))?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + secret.len() + CHACHA20_POLY1305.tag_len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(secret.as_bytes());
        let tag = cipher
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(self.key.as_bytes()),
                &mut sealed[NONCE_LEN..],
            )
            .map_err(|_| GenerationError::Internal("sealing a history entry failed"))?;
        sealed.extend_from_slice(tag.as_ref());
        Ok(sealed)
    }

    /// The entries that open under this list's key, in order, and how many did not (sealed under another list's
    /// key, tampered, truncated, or not UTF-8).
    pub fn open_all(&self, sealed: Vec<Vec<u8>>) -> (Vec<String>, usize) {
        let Some(cipher) = self.cipher() else {
            return (Vec::new(), sealed.len());
        };
        let mut opened = Vec::with_capacity(sealed.len());
        let mut failed = 0;
        for entry in sealed {
            match self.open_with(&cipher, entry) {
                Some(secret) => opened.push(secret),
                None => failed += 1,
            }
        }
        (opened, failed)
    }

    fn open_with(&self, cipher: &LessSafeKey, entry: Vec<u8>) -> Option<String> {
        let mut entry = entry;
        let nonce = Nonce::try_assume_unique_for_key(entry.get(..NONCE_LEN)?).ok()?;
        let plain_len = cipher
            .open_in_place(
                nonce,
                Aad::from(self.key.as_bytes()),
                &mut entry[NONCE_LEN..],
            )
            .ok()?
            .len();
        // The plaintext is opened in place after the nonce: drop the nonce and the tag around it.
        entry.truncate(NONCE_LEN + plain_len);
        entry.drain(..NONCE_LEN);
        String::from_utf8(entry).ok()
    }

    /// One entry (tests).
    #[cfg(test)]
    fn open(&self, entry: &[u8]) -> Option<String> {
        self.open_with(&self.cipher()?, entry.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(byte: u8) -> PrivateList {
        PrivateList::derive(&VisitorSecret([byte; SECRET_LEN])).unwrap()
    }

    #[test]
    fn the_cookie_value_round_trips_and_nothing_else_parses() {
        let secret = VisitorSecret::random().unwrap();
        let value = secret.to_cookie_value();
        assert_eq!(value.len(), 64);
        assert_eq!(VisitorSecret::from_cookie_value(&value), Some(secret));
        for bad in ["", "zz", &"g".repeat(64), &"a".repeat(63), &"a".repeat(65)] {
            assert_eq!(VisitorSecret::from_cookie_value(bad), None, "{bad}");
        }
        assert!(!format!("{:?}", VisitorSecret([7; 32])).contains("0707"));
    }

    #[test]
    fn the_store_key_is_derived_and_reveals_no_secret() {
        let secret = VisitorSecret([0xab; SECRET_LEN]);
        let a = PrivateList::derive(&secret).unwrap();
        let b = PrivateList::derive(&secret).unwrap();
        assert_eq!(
            a.store_key(),
            b.store_key(),
            "the same cookie finds its list"
        );
        assert_ne!(a.store_key(), list(0xac).store_key());
        assert!(a.store_key().starts_with(PRIVATE_KEY_PREFIX));
        assert!(!a.store_key().contains("abab"));
    }

    #[test]
    fn entries_open_only_in_their_own_list() {
        let mine = list(1);
        let sealed = mine.seal("s3nh@-secreta").unwrap();
        assert!(!sealed.windows(5).any(|w| w == b"s3nh@"));
        assert_eq!(mine.open(&sealed).as_deref(), Some("s3nh@-secreta"));
        assert_eq!(list(2).open(&sealed), None);
        let mut tampered = sealed.clone();
        tampered[NONCE_LEN] ^= 1;
        assert_eq!(mine.open(&tampered), None);
        assert_eq!(mine.open(&sealed[..5]), None);
        assert_ne!(
            mine.seal("x").unwrap(),
            mine.seal("x").unwrap(),
            "fresh nonce"
        );
    }
}
