//! `Password`: a new password checked against the NIST SP 800-63B rules.
//!
//! Length matters and composition rules don't: we ask for 12+ characters and
//! reject only what attackers try first — listed common or breached
//! passwords (also with digits or symbols tacked on), repeats, keyboard and
//! alphabet runs, and the user's own name or email. Hashing lives on the
//! server; this type only guards what goes into it.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

/// Fewest characters (Unicode scalar values, not bytes) a password may have.
pub const MIN_CHARS: usize = 12;
/// Most characters a password may have; long enough for any passphrase.
pub const MAX_CHARS: usize = 128;

/// Name parts and common stems shorter than this are too ordinary to forbid.
const MIN_FRAGMENT_CHARS: usize = 4;
/// Longest repeated unit we treat as "a short pattern" (`abcabcabcabc`).
const MAX_REPEAT_UNIT: usize = 4;
/// A run must be at least this long once a digit/symbol suffix is removed.
const MIN_RUN_CHARS: usize = 8;

const TOO_SHORT: &str = "Use at least 12 characters.";
const TOO_LONG: &str = "Use at most 128 characters.";
const REPEATED: &str =
    "This password just repeats one character or a short pattern; choose another.";
const STRAIGHT_RUN: &str =
    "This password is a simple sequence, like 123456… or qwerty…; choose another.";
const PERSONAL: &str = "Don't use your name or email address in your password.";
const COMMON: &str =
    "This password appears in lists of common or breached passwords; choose another.";
const COMMON_WITH_SUFFIX: &str =
    "This is a common password with digits or symbols added; choose another.";

/// Keyboard rows and alphabets; runs along them (either way, wrapping
/// around) are guessed early. `1234567890` wraps to `123456789012`.
const SEQUENCES: [&str; 4] = [
    "0123456789",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
];

/// The shipped list: lowercased, sorted, one per line, `#` lines are comments.
const COMMON_PASSWORDS_TXT: &str = include_str!("common-passwords.txt");

static COMMON_PASSWORDS: LazyLock<CommonPasswords> = LazyLock::new(CommonPasswords::load);

/// A new password that passed our rules. Never serialized, never cloned,
/// never printed: `Debug` shows `Password(<redacted>)`.
pub struct Password(String);

impl Password {
    /// Checks a new password. `context` holds strings the password must not
    /// contain, such as the email's local part and the display name; each is
    /// also split into words, and parts shorter than 4 characters are ignored.
    /// The `Err` is a message to show next to the form field.
    pub fn parse(raw: String, context: &[&str]) -> Result<Password, String> {
        // No trimming: spaces are legitimate password characters.
        let chars = raw.chars().count();
        if chars < MIN_CHARS {
            return Err(TOO_SHORT.into());
        }
        if chars > MAX_CHARS {
            return Err(TOO_LONG.into());
        }
        let lower = raw.to_lowercase();
        if is_repetition(&lower) {
            return Err(REPEATED.into());
        }
        let stem = strip_suffix(&lower);
        if is_straight_run(&lower)
            || (stem.chars().count() >= MIN_RUN_CHARS && is_straight_run(stem))
        {
            return Err(STRAIGHT_RUN.into());
        }
        if contains_context(&lower, context) {
            return Err(PERSONAL.into());
        }
        let common = &*COMMON_PASSWORDS;
        if common.exact.contains(lower.as_str()) {
            return Err(COMMON.into());
        }
        if common.stems.contains(stem) {
            return Err(COMMON_WITH_SUFFIX.into());
        }
        Ok(Password(raw))
    }

    /// The password as typed, for hashing or verification only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The shipped common-password list, loaded once.
struct CommonPasswords {
    /// Every listed password.
    exact: HashSet<&'static str>,
    /// Listed passwords plus their stems (trailing digits and symbols removed,
    /// at least 4 characters left), so `alex1975` also catches `Alex2024!!!!`.
    stems: HashSet<&'static str>,
}

impl CommonPasswords {
    fn load() -> Self {
        let exact: HashSet<&'static str> = COMMON_PASSWORDS_TXT
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect();
        let stems = exact
            .iter()
            .copied()
            .chain(
                exact
                    .iter()
                    .map(|entry| strip_suffix(entry))
                    .filter(|stem| stem.chars().count() >= MIN_FRAGMENT_CHARS),
            )
            .collect();
        CommonPasswords { exact, stems }
    }
}

/// Removes the digits and ASCII punctuation people append to meet old rules.
fn strip_suffix(password: &str) -> &str {
    password.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation())
}

/// True when the whole password repeats a unit of 1–4 characters.
fn is_repetition(password: &str) -> bool {
    let chars: Vec<char> = password.chars().collect();
    (1..=MAX_REPEAT_UNIT)
        .any(|unit| chars.len() > unit && chars.iter().skip(unit).zip(&chars).all(|(a, b)| a == b))
}

/// True when the whole password is a run along one of [`SEQUENCES`],
/// forwards or backwards, wrapping around at the end.
fn is_straight_run(password: &str) -> bool {
    let len = password.chars().count();
    SEQUENCES.iter().any(|sequence| {
        let forward = sequence.repeat(len / sequence.len() + 2);
        let backward: String = forward.chars().rev().collect();
        forward.contains(password) || backward.contains(password)
    })
}

/// True when the password contains a context string, or a word of one,
/// of at least 4 characters (compared case-insensitively).
fn contains_context(lower_password: &str, context: &[&str]) -> bool {
    context.iter().any(|item| {
        let item = item.trim().to_lowercase();
        std::iter::once(item.as_str())
            .chain(item.split(|c: char| !c.is_alphanumeric()))
            .filter(|fragment| fragment.chars().count() >= MIN_FRAGMENT_CHARS)
            .any(|fragment| lower_password.contains(fragment))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(raw: &str) -> Password {
        Password::parse(raw.to_owned(), &[]).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    fn rejected(raw: &str) -> String {
        match Password::parse(raw.to_owned(), &[]) {
            Ok(_) => panic!("{raw} was accepted"),
            Err(message) => message,
        }
    }

    #[test]
    fn a_long_unusual_passphrase_is_accepted() {
        accepted("correct horse battery staple");
        accepted("v7#Lq2!mZp9@Xe");
    }

    #[test]
    fn no_mix_of_character_classes_is_required() {
        accepted("lanternfishorchard");
    }

    #[test]
    fn the_password_is_kept_exactly_as_typed() {
        let password = accepted("  Spaces Count Too  ");
        assert_eq!(password.expose(), "  Spaces Count Too  ");
    }

    #[test]
    fn eleven_characters_are_too_few_and_twelve_are_enough() {
        assert_eq!(rejected("gh7kq2mzp9x"), TOO_SHORT);
        accepted("gh7kq2mzp9xw");
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 11 characters but 22 bytes.
        assert_eq!(rejected("äöüßéèêëçñå"), TOO_SHORT);
        accepted("äöüßéèêëçñåø");
    }

    #[test]
    fn more_than_128_characters_are_rejected() {
        let alphabet: Vec<char> = "abcdefghijklmnopqrstuvwxyz0123456789".chars().collect();
        let long: String = (0..129).map(|i| alphabet[i * 7 % alphabet.len()]).collect();
        assert_eq!(rejected(&long), TOO_LONG);
        accepted(&long[..128]);
    }

    #[test]
    fn a_listed_password_is_rejected_whatever_its_case() {
        assert_eq!(rejected("finalfantasy"), COMMON);
        assert_eq!(rejected("FinalFantasy"), COMMON);
    }

    #[test]
    fn a_listed_password_with_digits_or_symbols_added_is_rejected() {
        // password1234 is itself listed; password98765 is not, but its stem is.
        assert_eq!(rejected("password1234"), COMMON);
        assert_eq!(rejected("password98765"), COMMON_WITH_SUFFIX);
        assert_eq!(rejected("Password123456!"), COMMON_WITH_SUFFIX);
        assert_eq!(rejected("baseball!!!!"), COMMON_WITH_SUFFIX);
    }

    #[test]
    fn a_common_stem_with_new_digits_is_rejected() {
        // The list has alex1975 and friends; the stem "alex" is what's guessed.
        assert_eq!(rejected("Alex20242024!"), COMMON_WITH_SUFFIX);
    }

    #[test]
    fn a_listed_word_inside_a_longer_phrase_is_fine() {
        accepted("password in a long sentence");
    }

    #[test]
    fn one_character_repeated_is_rejected() {
        assert_eq!(rejected("aaaaaaaaaaaa"), REPEATED);
        assert_eq!(rejected("!!!!!!!!!!!!!!"), REPEATED);
        assert_eq!(rejected("AaAaAaAaAaAa"), REPEATED);
    }

    #[test]
    fn a_short_pattern_repeated_is_rejected() {
        assert_eq!(rejected("abcabcabcabc"), REPEATED);
        assert_eq!(rejected("12121212121212"), REPEATED);
        assert_eq!(rejected("xyz!xyz!xyz!x"), REPEATED);
    }

    #[test]
    fn straight_runs_are_rejected() {
        for run in [
            "123456789012",
            "abcdefghijklmnop",
            "qwertyuiopas",
            "ZYXWVUTSRQPO",
            "098765432109",
            "lkjhgfdsapoiu",
            "1qaz2wsx3edc4rfv",
        ] {
            assert_eq!(rejected(run), STRAIGHT_RUN, "{run}");
        }
    }

    #[test]
    fn a_straight_run_with_a_suffix_is_rejected() {
        assert_eq!(rejected("abcdefghijk1"), STRAIGHT_RUN);
        assert_eq!(rejected("Qwertyuiop!!"), STRAIGHT_RUN);
    }

    #[test]
    fn the_users_name_or_email_in_the_password_is_rejected() {
        let context = ["ada.lovelace", "Ada Lovelace"];
        for raw in [
            "my lovelace secret",
            "LovelaceRocks2024",
            "xx-ada.lovelace-xx",
        ] {
            let result = Password::parse(raw.to_owned(), &context);
            assert_eq!(result.err().as_deref(), Some(PERSONAL), "{raw}");
        }
    }

    #[test]
    fn context_shorter_than_four_characters_is_ignored() {
        let result = Password::parse("bobcat meadow lantern".to_owned(), &["bob", "  "]);
        assert!(result.is_ok());
    }

    #[test]
    fn debug_output_is_redacted() {
        let password = accepted("v7#Lq2!mZp9@Xe");
        assert_eq!(format!("{password:?}"), "Password(<redacted>)");
    }

    #[test]
    fn the_shipped_list_loads_lowercased_without_its_header() {
        let common = &*COMMON_PASSWORDS;
        assert!(common.exact.len() > 10_000);
        assert!(common.exact.contains("password"));
        assert!(common.exact.iter().all(|entry| !entry.starts_with('#')));
        assert!(common
            .exact
            .iter()
            .all(|entry| *entry == entry.to_lowercase()));
        assert!(common.stems.contains("alex"));
    }

    #[test]
    fn every_error_is_a_full_sentence_for_the_form() {
        for message in [
            TOO_SHORT,
            TOO_LONG,
            REPEATED,
            STRAIGHT_RUN,
            PERSONAL,
            COMMON,
            COMMON_WITH_SUFFIX,
        ] {
            assert!(message.starts_with(char::is_uppercase), "{message}");
            assert!(message.ends_with('.'), "{message}");
        }
    }
}
