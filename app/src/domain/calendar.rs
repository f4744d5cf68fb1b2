//! Days typed into forms (`YYYY-MM-DD`, what `<input type="date">` sends),
//! and the rules for an expiry date: of granted credit, or of an API key.
//!
//! Both expiries mean the end of the day typed, UTC, and must still be
//! ahead; they differ in their messages and in how far ahead they may be
//! (see [`ExpiryRule`]).

use time::{Date, Duration, Month, OffsetDateTime};

/// Why a typed day is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayError {
    /// Not `YYYY-MM-DD`.
    Malformed,
    /// `YYYY-MM-DD`, but no such day (`2026-02-30`).
    Nonexistent,
}

const NONEXISTENT: &str = "That date does not exist.";

/// The day in `input` (trimmed); `None` when blank.
fn day(input: &str) -> Result<Option<Date>, DayError> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = input.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return Err(DayError::Malformed);
    };
    let digits = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(year, 4) || !digits(month, 2) || !digits(day, 2) {
        return Err(DayError::Malformed);
    }
    let (Ok(year), Ok(month), Ok(day)) =
        (year.parse::<i32>(), month.parse::<u8>(), day.parse::<u8>())
    else {
        return Err(DayError::Malformed);
    };
    let month = Month::try_from(month).map_err(|_| DayError::Malformed)?;
    Date::from_calendar_date(year, month, day)
        .map(Some)
        .map_err(|_| DayError::Nonexistent)
}

/// A day typed as `YYYY-MM-DD`; blank is `None`. Used by filters (any day
/// is fine, past or future).
pub fn parse_day(input: &str) -> Result<Option<Date>, String> {
    day(input).map_err(|e| match e {
        DayError::Malformed => "Enter the date as YYYY-MM-DD.".to_owned(),
        DayError::Nonexistent => NONEXISTENT.to_owned(),
    })
}

/// Whose expiry date is typed: the rules differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryRule {
    /// Credit an admin grants: any day from today on.
    CreditGrant,
    /// An API key: from today to five years ahead.
    ApiKey,
}

impl ExpiryRule {
    /// The message for text that is not `YYYY-MM-DD`.
    fn malformed(self) -> &'static str {
        match self {
            Self::CreditGrant => "Enter the expiry date as YYYY-MM-DD.",
            Self::ApiKey => "Enter the date as YYYY-MM-DD.",
        }
    }

    /// The message for the last day the calendar has (no day follows it).
    fn beyond_calendar(self) -> &'static str {
        match self {
            Self::CreditGrant => self.malformed(),
            Self::ApiKey => "That date is too far ahead.",
        }
    }

    /// The message for a day already over.
    fn past(self) -> &'static str {
        match self {
            Self::CreditGrant => "The expiry date must be today or later.",
            Self::ApiKey => "Choose today or a later date.",
        }
    }

    /// How far ahead of now the expiry may be, and the message beyond it.
    fn limit(self) -> Option<(Duration, &'static str)> {
        match self {
            Self::CreditGrant => None,
            Self::ApiKey => Some((
                Duration::days(5 * 366),
                "Choose a date within the next 5 years.",
            )),
        }
    }
}

/// Parses an expiry date typed as `YYYY-MM-DD` under `rule`: it means the
/// end of that day, UTC (the start of the next one), which must still be
/// ahead of `now`. Blank means "never expires".
pub fn parse_expiry(
    input: &str,
    now: OffsetDateTime,
    rule: ExpiryRule,
) -> Result<Option<OffsetDateTime>, String> {
    let date = day(input).map_err(|e| match e {
        DayError::Malformed => rule.malformed().to_owned(),
        DayError::Nonexistent => NONEXISTENT.to_owned(),
    })?;
    let Some(date) = date else {
        return Ok(None);
    };
    let end = date
        .next_day()
        .ok_or_else(|| rule.beyond_calendar().to_owned())?
        .midnight()
        .assume_utc();
    if end <= now {
        return Err(rule.past().to_owned());
    }
    if let Some((ahead, message)) = rule.limit() {
        if end > now + ahead {
            return Err(message.to_owned());
        }
    }
    Ok(Some(end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    const NOW: OffsetDateTime = datetime!(2030-06-15 12:00 UTC);

    #[test]
    fn days_are_typed_as_iso_dates() {
        assert_eq!(parse_day(" 2026-11-23 "), Ok(Some(date!(2026 - 11 - 23))));
        assert_eq!(parse_day(""), Ok(None));
        assert!(parse_day("2026-2-3").is_err());
        assert!(parse_day("23.11.2026").is_err());
        assert!(parse_day("2026-13-01").is_err());
        assert_eq!(
            parse_day("2026-02-30"),
            Err("That date does not exist.".to_owned())
        );
    }

    #[test]
    fn an_expiry_date_means_the_end_of_that_day_in_utc() {
        for rule in [ExpiryRule::CreditGrant, ExpiryRule::ApiKey] {
            assert_eq!(
                parse_expiry("2030-06-15", NOW, rule),
                Ok(Some(datetime!(2030-06-16 00:00 UTC))),
                "{rule:?}"
            );
            assert_eq!(parse_expiry("", NOW, rule), Ok(None), "{rule:?}");
        }
    }

    #[test]
    fn each_rule_says_what_is_wrong_in_its_own_words() {
        let grant = |s| parse_expiry(s, NOW, ExpiryRule::CreditGrant);
        let key = |s| parse_expiry(s, NOW, ExpiryRule::ApiKey);
        assert_eq!(
            grant("2030-6-20"),
            Err("Enter the expiry date as YYYY-MM-DD.".to_owned())
        );
        assert_eq!(
            key("2030-6-20"),
            Err("Enter the date as YYYY-MM-DD.".to_owned())
        );
        assert_eq!(
            grant("2030-06-14"),
            Err("The expiry date must be today or later.".to_owned())
        );
        assert_eq!(
            key("2030-06-14"),
            Err("Choose today or a later date.".to_owned())
        );
        for rule in [ExpiryRule::CreditGrant, ExpiryRule::ApiKey] {
            assert_eq!(
                parse_expiry("2030-02-30", NOW, rule),
                Err("That date does not exist.".to_owned())
            );
        }
        assert_eq!(
            grant("9999-12-31"),
            Err("Enter the expiry date as YYYY-MM-DD.".to_owned())
        );
        assert_eq!(
            key("9999-12-31"),
            Err("That date is too far ahead.".to_owned())
        );
    }

    #[test]
    fn only_a_key_is_limited_to_five_years_ahead() {
        assert_eq!(
            parse_expiry("2040-01-01", NOW, ExpiryRule::ApiKey),
            Err("Choose a date within the next 5 years.".to_owned())
        );
        assert_eq!(
            parse_expiry("2040-01-01", NOW, ExpiryRule::CreditGrant),
            Ok(Some(datetime!(2040-01-02 00:00 UTC)))
        );
    }

    #[test]
    fn a_credit_expiry_date_means_the_end_of_that_day_in_utc() {
        assert_eq!(
            parse_expiry("2030-06-15", NOW, ExpiryRule::CreditGrant),
            Ok(Some(datetime!(2030-06-16 00:00 UTC)))
        );
        assert_eq!(
            parse_expiry(" 2031-01-31 ", NOW, ExpiryRule::CreditGrant),
            Ok(Some(datetime!(2031-02-01 00:00 UTC)))
        );
        assert_eq!(parse_expiry("", NOW, ExpiryRule::CreditGrant), Ok(None));
    }

    #[test]
    fn past_malformed_and_impossible_credit_expiry_dates_are_refused() {
        assert!(parse_expiry("2030-06-14", NOW, ExpiryRule::CreditGrant).is_err());
        assert!(parse_expiry("2030-6-20", NOW, ExpiryRule::CreditGrant).is_err());
        assert!(parse_expiry("20/06/2030", NOW, ExpiryRule::CreditGrant).is_err());
        assert!(parse_expiry("2030-02-30", NOW, ExpiryRule::CreditGrant).is_err());
        assert!(parse_expiry("2030-13-01", NOW, ExpiryRule::CreditGrant).is_err());
        assert!(parse_expiry("2030-06-20-1", NOW, ExpiryRule::CreditGrant).is_err());
        assert!(parse_expiry("+030-06-20", NOW, ExpiryRule::CreditGrant).is_err());
    }
}
