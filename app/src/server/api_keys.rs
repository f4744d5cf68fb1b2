//! API keys for the inference API: `lp_<public_id>_<secret>`.
//!
//! The public id (12 characters of `[a-z0-9]`) finds the key's row; the
//! secret (32 base62 characters, about 190 bits) proves it. Only the SHA-256
//! of the whole key is stored, so the plaintext is shown once, at creation.

use rand::rngs::OsRng;
use rand::Rng;
use sha2::{Digest, Sha256};

/// What every key starts with.
pub const PREFIX: &str = "lp_";
/// Characters of the public id.
pub const PUBLIC_ID_LEN: usize = 12;
/// Characters of the secret.
pub const SECRET_LEN: usize = 32;
/// Characters of a whole key.
pub const KEY_LEN: usize = PREFIX.len() + PUBLIC_ID_LEN + 1 + SECRET_LEN;

const PUBLIC_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A freshly generated key. The plaintext goes to its owner once and is
/// never stored or logged.
pub struct NewKey {
    pub plaintext: String,
    pub public_id: String,
    /// SHA-256 of `plaintext`.
    pub hash: [u8; 32],
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKey")
            .field("public_id", &self.public_id)
            .field("plaintext", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// `len` characters drawn uniformly from `alphabet` by the operating
/// system's CSPRNG.
fn random_string(alphabet: &[u8], len: usize) -> String {
    let mut rng = OsRng;
    (0..len)
        .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
        .collect()
}

/// SHA-256 of a whole key, as stored in `api_keys.secret_hash`.
pub fn hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// A new random key.
pub fn generate() -> NewKey {
    let public_id = random_string(PUBLIC_ALPHABET, PUBLIC_ID_LEN);
    let secret = random_string(SECRET_ALPHABET, SECRET_LEN);
    let plaintext = format!("{PREFIX}{public_id}_{secret}");
    let hash = hash(&plaintext);
    NewKey {
        plaintext,
        public_id,
        hash,
    }
}

/// The public id and hash of a well-formed key; `None` for anything that is
/// not exactly `lp_` + 12 × `[a-z0-9]` + `_` + 32 × `[A-Za-z0-9]`.
pub fn parse(key: &str) -> Option<(&str, [u8; 32])> {
    if key.len() != KEY_LEN {
        return None;
    }
    let rest = key.strip_prefix(PREFIX)?;
    let (public_id, secret) = rest.split_at_checked(PUBLIC_ID_LEN)?;
    let secret = secret.strip_prefix('_')?;
    let public_ok = public_id
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let secret_ok = secret.len() == SECRET_LEN && secret.bytes().all(|b| b.is_ascii_alphanumeric());
    (public_ok && secret_ok).then(|| (public_id, hash(key)))
}

/// What people see of a key after creation: `lp_<public_id>_…`.
pub fn display_prefix(public_id: &str) -> String {
    format!("{PREFIX}{public_id}_…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_documented_shape_and_parse_back() {
        let key = generate();
        assert_eq!(key.plaintext.len(), KEY_LEN);
        assert!(key.plaintext.starts_with("lp_"));
        assert_eq!(key.public_id.len(), 12);
        assert!(key
            .public_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        let secret = &key.plaintext[3 + 12 + 1..];
        assert_eq!(secret.len(), 32);
        assert!(secret.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(&key.plaintext[3..15], key.public_id);
        assert_eq!(key.hash, hash(&key.plaintext));
        assert_eq!(
            <[u8; 32]>::from(Sha256::digest(key.plaintext.as_bytes())),
            key.hash,
            "the hash is SHA-256 of the whole key"
        );
        assert_eq!(
            parse(&key.plaintext),
            Some((key.public_id.as_str(), key.hash))
        );
    }

    #[test]
    fn keys_are_not_repeated() {
        let keys: std::collections::HashSet<String> =
            (0..1000).map(|_| generate().plaintext).collect();
        assert_eq!(keys.len(), 1000);
        let ids: std::collections::HashSet<String> =
            (0..1000).map(|_| generate().public_id).collect();
        assert_eq!(ids.len(), 1000);
    }

    #[test]
    fn secrets_use_the_whole_alphabet() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            seen.extend(generate().plaintext[16..].bytes());
        }
        assert_eq!(seen.len(), 62, "base62: upper, lower and digits");
    }

    #[test]
    fn anything_but_the_exact_format_is_refused() {
        let good = "lp_abcdef123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
        assert_eq!(good.len(), KEY_LEN);
        assert!(parse(good).is_some());
        let bad = [
            "",
            "lp_",
            "lp_abcdef123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcde", // short secret
            "lp_abcdef123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg", // long secret
            "lp_abcdef12345_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg", // short public id
            "lp_ABCDEF123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef", // upper-case public id
            "sk_abcdef123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef", // wrong prefix
            "lp_abcdef123456-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef", // wrong separator
            "lp_abcdef123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcd-f", // not base62
            "lp_abcdef123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdé", // not ASCII
            " lp_abcdef123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcde", // padding
            "lp_abcdef123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef\n", // trailing newline
        ];
        for key in bad {
            assert_eq!(parse(key), None, "{key:?}");
        }
    }

    #[test]
    fn the_hash_covers_the_whole_key() {
        let a = "lp_abcdef123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
        let b = "lp_abcdef123457_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
        assert_ne!(parse(a).map(|p| p.1), parse(b).map(|p| p.1));
        assert_eq!(display_prefix("abcdef123456"), "lp_abcdef123456_…");
    }

    #[test]
    fn debug_output_hides_the_plaintext() {
        let key = generate();
        let shown = format!("{key:?}");
        assert!(!shown.contains(&key.plaintext), "{shown}");
        assert!(shown.contains(&key.public_id));
    }
}
