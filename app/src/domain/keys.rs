//! A developer's API key settings as typed into the "new key" form, parsed:
//! its name, spend cap, rate limits and expiry date. Every field's problem
//! is reported at once.
//!
//! An expiry date means the end of that day, UTC, which must still be
//! ahead; blank means the key never expires (see
//! [`ExpiryRule::ApiKey`](crate::domain::calendar::ExpiryRule::ApiKey)).

use time::OffsetDateTime;

use crate::domain::calendar::{parse_expiry, ExpiryRule};
use crate::domain::credits::Credits;
use crate::error::{AppError, FieldErrors};

/// The longest key name, in characters (the column allows 80).
pub const MAX_NAME_CHARS: usize = 80;

/// The highest requests-per-minute limit one may set.
pub const MAX_RPM: i32 = 100_000;

/// The highest tokens-per-minute limit one may set.
pub const MAX_TPM: i32 = 1_000_000_000;

/// A validated "new key" form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySettings {
    pub name: String,
    pub spend_cap: Option<Credits>,
    pub rpm_limit: Option<i32>,
    pub tpm_limit: Option<i32>,
    pub expires_at: Option<OffsetDateTime>,
}

/// Parses the "new key" form: every field's problem at once.
pub fn parse_settings(
    name: &str,
    spend_cap: &str,
    rpm_limit: &str,
    tpm_limit: &str,
    expires_on: &str,
    now: OffsetDateTime,
) -> Result<KeySettings, AppError> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", parse_name(name));
    let spend_cap = errors.check("spend_cap", parse_cap(spend_cap));
    let rpm_limit = errors.check(
        "rpm_limit",
        parse_limit(rpm_limit, MAX_RPM, "requests per minute"),
    );
    let tpm_limit = errors.check(
        "tpm_limit",
        parse_limit(tpm_limit, MAX_TPM, "tokens per minute"),
    );
    let expires_at = errors.check(
        "expires_on",
        parse_expiry(expires_on, now, ExpiryRule::ApiKey),
    );
    errors.finish()?;
    match (name, spend_cap, rpm_limit, tpm_limit, expires_at) {
        (Some(name), Some(spend_cap), Some(rpm_limit), Some(tpm_limit), Some(expires_at)) => {
            Ok(KeySettings {
                name,
                spend_cap,
                rpm_limit,
                tpm_limit,
                expires_at,
            })
        }
        _ => Err(AppError::Internal),
    }
}

fn parse_name(input: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() {
        return Err("Give the key a name, like “laptop” or “staging server”.".to_owned());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("Keep the name under {MAX_NAME_CHARS} characters."));
    }
    if name.chars().any(char::is_control) {
        return Err("Use letters, digits, spaces and punctuation only.".to_owned());
    }
    Ok(name.to_owned())
}

fn parse_cap(input: &str) -> Result<Option<Credits>, String> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    let cap = Credits::parse(input, false)?;
    if !cap.is_positive() {
        return Err("Enter a cap above 0, or leave it empty for no cap.".to_owned());
    }
    Ok(Some(cap))
}

fn parse_limit(input: &str, max: i32, what: &str) -> Result<Option<i32>, String> {
    let input = input.trim().replace(['_', ','], "");
    if input.is_empty() {
        return Ok(None);
    }
    let wrong = || format!("Enter a whole number of {what} from 1 to {max}, or leave it empty.");
    if !input.bytes().all(|b| b.is_ascii_digit()) {
        return Err(wrong());
    }
    match input.parse::<i32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(Some(n)),
        _ => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

    #[test]
    fn a_name_alone_is_enough() {
        let settings = parse_settings("  laptop ", "", "", "", "", NOW).expect("valid");
        assert_eq!(
            settings,
            KeySettings {
                name: "laptop".to_owned(),
                spend_cap: None,
                rpm_limit: None,
                tpm_limit: None,
                expires_at: None,
            }
        );
    }

    #[test]
    fn every_setting_is_parsed() {
        let settings =
            parse_settings("ci", "12.5", "60", "100,000", "2026-12-31", NOW).expect("valid");
        assert_eq!(settings.spend_cap, Some(Credits::from_micros(12_500_000)));
        assert_eq!(settings.rpm_limit, Some(60));
        assert_eq!(settings.tpm_limit, Some(100_000));
        assert_eq!(settings.expires_at, Some(datetime!(2027-01-01 0:00 UTC)));
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let error = parse_settings(" ", "0", "-1", "1.5", "2026-11-22", NOW).expect_err("invalid");
        for field in ["name", "spend_cap", "rpm_limit", "tpm_limit", "expires_on"] {
            assert!(error.field_message(field).is_some(), "{field}: {error:?}");
        }
        let error = parse_settings(&"x".repeat(81), "1.0000001", "100001", "0", "tomorrow", NOW)
            .expect_err("invalid");
        for field in ["name", "spend_cap", "rpm_limit", "tpm_limit", "expires_on"] {
            assert!(error.field_message(field).is_some(), "{field}: {error:?}");
        }
        assert_eq!(
            error.field_message("expires_on"),
            Some("Enter the date as YYYY-MM-DD.")
        );
        let error = parse_settings("a", "", "", "", "2026-02-30", NOW).expect_err("invalid");
        assert_eq!(
            error.field_message("expires_on"),
            Some("That date does not exist.")
        );
        let error = parse_settings("a", "", "", "", "2040-01-01", NOW).expect_err("invalid");
        assert!(error.field_message("expires_on").is_some());
        let today = parse_settings("a", "", "", "", "2026-11-23", NOW).expect("today is fine");
        assert_eq!(today.expires_at, Some(datetime!(2026-11-24 0:00 UTC)));
    }
}
