//! `Email`: an email address checked well enough to catch typos before we send mail to it.
//!
//! This is deliberately stricter than RFC 5322 (no quoted local parts, no IP
//! literals): the goal is to catch mistakes, and the confirmation email is the
//! real proof that an address works.

use std::fmt;

/// Longest address we accept, in characters (the SMTP path limit).
const MAX_LEN: usize = 254;
/// Longest part before the `@`, in characters (RFC 5321).
const MAX_LOCAL_LEN: usize = 64;
/// Longest single domain label (RFC 1035).
const MAX_LABEL_LEN: usize = 63;

const ENTER_AN_ADDRESS: &str = "Enter your email address.";
const LOOKS_LIKE: &str = "Enter an email address like name@example.org.";
const NO_SPACES: &str = "Email addresses can't contain spaces or line breaks.";
const TOO_LONG: &str = "That email address is too long (254 characters at most).";
const LOCAL_EMPTY: &str = "Enter the part before the @, like name@example.org.";
const LOCAL_TOO_LONG: &str = "The part before the @ is too long (64 characters at most).";
const LOCAL_DOTS: &str =
    "The part before the @ can't start or end with a dot, or have two dots in a row.";
const LOCAL_SPECIALS: &str =
    "The part before the @ can't contain quotes, brackets, commas, colons, semicolons or backslashes.";
const DOMAIN_NO_DOT: &str = "Enter the full domain after the @, like example.org.";
const DOMAIN_INVALID: &str =
    "Check the part after the @: use letters, digits, hyphens and dots, like example.org.";

/// An email address as the user typed it (trimmed), known to be well formed.
///
/// The case is kept for display; compare and store uniqueness with
/// [`Email::normalized`] (the database enforces it on `lower(email)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses user input; the `Err` is a message to show next to the form field.
    pub fn parse(input: &str) -> Result<Email, String> {
        let email = input.trim();
        if email.is_empty() {
            return Err(ENTER_AN_ADDRESS.into());
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(NO_SPACES.into());
        }
        if email.chars().count() > MAX_LEN {
            return Err(TOO_LONG.into());
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(LOOKS_LIKE.into());
        };
        if domain.contains('@') {
            return Err(LOOKS_LIKE.into());
        }
        check_local_part(local)?;
        check_domain(domain)?;
        Ok(Email(email.to_owned()))
    }

    /// The address exactly as typed (minus surrounding whitespace).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lowercased address, for lookups and uniqueness checks.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }

    /// The part before the `@`, e.g. to keep it out of the user's password.
    pub fn local_part(&self) -> &str {
        self.0
            .split_once('@')
            .map_or(self.0.as_str(), |(local, _)| local)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks the part before the `@` (already free of whitespace and control characters).
fn check_local_part(local: &str) -> Result<(), String> {
    if local.is_empty() {
        return Err(LOCAL_EMPTY.into());
    }
    if local.chars().count() > MAX_LOCAL_LEN {
        return Err(LOCAL_TOO_LONG.into());
    }
    // Unquoted local parts may not use these; seeing them usually means a
    // pasted "Name <name@example.org>" or a stray punctuation key.
    if local.contains(['"', '(', ')', ',', ':', ';', '<', '>', '[', '\\', ']']) {
        return Err(LOCAL_SPECIALS.into());
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(LOCAL_DOTS.into());
    }
    Ok(())
}

/// Checks the part after the `@`: dot-separated labels of ASCII letters,
/// digits and inner hyphens. Internationalised domains must be given in
/// their `xn--` form.
fn check_domain(domain: &str) -> Result<(), String> {
    if !domain.contains('.') {
        return Err(DOMAIN_NO_DOT.into());
    }
    if !domain.split('.').all(is_valid_label) {
        return Err(DOMAIN_INVALID.into());
    }
    // An all-digit top-level label means an IP address, which we don't mail.
    let top_level = domain.rsplit('.').next().unwrap_or_default();
    if top_level.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DOMAIN_INVALID.into());
    }
    Ok(())
}

fn is_valid_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= MAX_LABEL_LEN
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(input: &str) -> String {
        Email::parse(input).expect_err(input)
    }

    #[test]
    fn a_plain_address_is_accepted() {
        let email = Email::parse("ada@example.org").unwrap();
        assert_eq!(email.as_str(), "ada@example.org");
    }

    #[test]
    fn plus_tags_dots_and_subdomains_are_accepted() {
        for ok in [
            "ada.lovelace+portal@mail.example.co.uk",
            "a@b.io",
            "x_y-z@my-host.example",
            "o'brien@example.ie",
            "ada@xn--mnchen-3ya.de",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        let email = Email::parse("  ada@example.org \n").unwrap();
        assert_eq!(email.as_str(), "ada@example.org");
    }

    #[test]
    fn the_case_is_kept_as_typed_and_normalized_lowercases_it() {
        let email = Email::parse("Ada.Lovelace@Example.ORG").unwrap();
        assert_eq!(email.as_str(), "Ada.Lovelace@Example.ORG");
        assert_eq!(email.normalized(), "ada.lovelace@example.org");
    }

    #[test]
    fn display_prints_the_address_as_typed() {
        let email = Email::parse("Ada@Example.org").unwrap();
        assert_eq!(email.to_string(), "Ada@Example.org");
    }

    #[test]
    fn the_local_part_is_everything_before_the_at_sign() {
        let email = Email::parse("ada.lovelace@example.org").unwrap();
        assert_eq!(email.local_part(), "ada.lovelace");
    }

    #[test]
    fn an_empty_input_asks_for_an_address() {
        assert_eq!(rejected("   "), ENTER_AN_ADDRESS);
    }

    #[test]
    fn an_address_without_an_at_sign_shows_an_example() {
        assert_eq!(rejected("ada.example.org"), LOOKS_LIKE);
    }

    #[test]
    fn an_address_with_two_at_signs_is_rejected() {
        assert_eq!(rejected("ada@home@example.org"), LOOKS_LIKE);
    }

    #[test]
    fn inner_spaces_and_control_characters_are_rejected() {
        assert_eq!(rejected("ada lovelace@example.org"), NO_SPACES);
        assert_eq!(rejected("ada@exam\tple.org"), NO_SPACES);
        assert_eq!(rejected("ada\u{0}@example.org"), NO_SPACES);
    }

    #[test]
    fn an_empty_local_part_is_rejected() {
        assert_eq!(rejected("@example.org"), LOCAL_EMPTY);
    }

    #[test]
    fn a_local_part_of_64_characters_is_accepted_but_65_is_not() {
        let domain = "@example.org";
        assert!(Email::parse(&format!("{}{domain}", "a".repeat(64))).is_ok());
        assert_eq!(
            rejected(&format!("{}{domain}", "a".repeat(65))),
            LOCAL_TOO_LONG
        );
    }

    #[test]
    fn misplaced_dots_in_the_local_part_are_rejected() {
        for bad in [".ada@example.org", "ada.@example.org", "a..da@example.org"] {
            assert_eq!(rejected(bad), LOCAL_DOTS, "{bad}");
        }
    }

    #[test]
    fn a_pasted_name_and_angle_brackets_are_rejected() {
        assert_eq!(rejected("<ada@example.org>"), LOCAL_SPECIALS);
    }

    #[test]
    fn a_domain_without_a_dot_is_rejected() {
        assert_eq!(rejected("ada@localhost"), DOMAIN_NO_DOT);
        assert_eq!(rejected("ada@"), DOMAIN_NO_DOT);
    }

    #[test]
    fn empty_domain_labels_are_rejected() {
        for bad in ["ada@.example.org", "ada@example..org", "ada@example.org."] {
            assert_eq!(rejected(bad), DOMAIN_INVALID, "{bad}");
        }
    }

    #[test]
    fn domain_labels_starting_or_ending_with_a_hyphen_are_rejected() {
        for bad in ["ada@-example.org", "ada@example-.org", "ada@example.org-"] {
            assert_eq!(rejected(bad), DOMAIN_INVALID, "{bad}");
        }
    }

    #[test]
    fn domain_labels_with_other_characters_are_rejected() {
        for bad in ["ada@exa_mple.org", "ada@exam!ple.org", "ada@münchen.de"] {
            assert_eq!(rejected(bad), DOMAIN_INVALID, "{bad}");
        }
    }

    #[test]
    fn an_ip_address_domain_is_rejected() {
        assert_eq!(rejected("ada@192.168.0.1"), DOMAIN_INVALID);
    }

    #[test]
    fn a_domain_label_over_63_characters_is_rejected() {
        let label = "a".repeat(64);
        assert_eq!(rejected(&format!("ada@{label}.org")), DOMAIN_INVALID);
    }

    #[test]
    fn an_address_of_254_characters_is_accepted_but_255_is_not() {
        // 64 + 1 + (63 + 1) * 2 + 61 = 254
        let local = "a".repeat(64);
        let label = "b".repeat(63);
        let base = format!("{local}@{label}.{label}.");
        let ok = format!("{base}{}", "c".repeat(61));
        assert_eq!(ok.len(), 254);
        assert!(Email::parse(&ok).is_ok());
        let too_long = format!("{base}{}", "c".repeat(62));
        assert_eq!(rejected(&too_long), TOO_LONG);
    }

    #[test]
    fn every_error_is_a_full_sentence_for_the_form() {
        for bad in ["", "a", "a b@c.d", "@c.d", "a..b@c.d", "a@b", "a@b_c.d"] {
            let message = rejected(bad);
            assert!(message.starts_with(char::is_uppercase), "{message}");
        }
    }
}
