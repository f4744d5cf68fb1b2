//! Credits: integer micro-credits, never floating point.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Micro-credits in one credit.
pub const MICROS_PER_CREDIT: i64 = 1_000_000;

/// An amount of credit in micro-credits (1 credit = 1,000,000 micro-credits).
/// Arithmetic is checked: overflow is an error, never a wrap.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Credits(i64);

impl Credits {
    pub const ZERO: Credits = Credits(0);

    /// From micro-credits.
    pub const fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    /// From whole credits, if it fits.
    pub fn from_credits(credits: i64) -> Option<Self> {
        credits.checked_mul(MICROS_PER_CREDIT).map(Self)
    }

    /// The amount in micro-credits.
    pub const fn micros(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }

    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.0.checked_sub(other.0).map(Self)
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// [`Self::parse`] for an amount to move or grant: more than zero.
    pub fn parse_positive(input: &str) -> Result<Self, String> {
        let amount = Self::parse(input, false)?;
        if amount.is_positive() {
            Ok(amount)
        } else {
            Err("The amount must be more than zero.".to_owned())
        }
    }

    /// Parses an amount typed by a person: `12`, `12.5`, `0.000001`, with an
    /// optional leading `-` when `allow_negative`. At most 6 decimals.
    pub fn parse(input: &str, allow_negative: bool) -> Result<Self, String> {
        let text = input.trim().replace(['_', ','], "");
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        if negative && !allow_negative {
            return Err("Enter a positive amount.".to_owned());
        }
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let valid = !whole.is_empty() || !fraction.is_empty();
        if !valid
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !fraction.chars().all(|c| c.is_ascii_digit())
        {
            return Err("Enter an amount of credits, like 100 or 2.5.".to_owned());
        }
        if fraction.len() > 6 {
            return Err("Use at most 6 decimals (1 micro-credit is 0.000001).".to_owned());
        }
        let too_big = || "That amount is too large.".to_owned();
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| too_big())?
        };
        let fraction: i64 = format!("{fraction:0<6}").parse().map_err(|_| too_big())?;
        let micros = whole
            .checked_mul(MICROS_PER_CREDIT)
            .and_then(|w| w.checked_add(fraction))
            .ok_or_else(too_big)?;
        Ok(Self(if negative { -micros } else { micros }))
    }
}

impl fmt::Display for Credits {
    /// `1,234.5` for 1,234,500,000 micro-credits: see [`crate::format::credits`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::format::credits(*self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_type_credits_and_we_keep_micro_credits() {
        assert_eq!(Credits::parse("12", false), Ok(Credits(12_000_000)));
        assert_eq!(Credits::parse(" 2.5 ", false), Ok(Credits(2_500_000)));
        assert_eq!(Credits::parse("0.000001", false), Ok(Credits(1)));
        assert_eq!(Credits::parse(".5", false), Ok(Credits(500_000)));
        assert_eq!(Credits::parse("1,000", false), Ok(Credits(1_000_000_000)));
        assert_eq!(Credits::parse("-3", true), Ok(Credits(-3_000_000)));
    }

    #[test]
    fn malformed_negative_or_too_precise_amounts_are_refused() {
        assert!(Credits::parse("-3", false).is_err());
        assert!(Credits::parse("1.0000001", false).is_err());
        assert!(Credits::parse("abc", false).is_err());
        assert!(Credits::parse("", false).is_err());
        assert!(Credits::parse(".", false).is_err());
        assert!(Credits::parse("1e5", false).is_err());
        assert!(Credits::parse("99999999999999999999", false).is_err());
        assert!(
            Credits::parse("9223372036855", false).is_err(),
            "overflows i64 micro-credits"
        );
    }

    #[test]
    fn amounts_display_as_the_shared_format_writes_them() {
        assert_eq!(Credits(1_234_567_890_000).to_string(), "1,234,567.89");
        assert_eq!(Credits(-1_500_000).to_string(), "-1.5");
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(Credits(i64::MAX).checked_add(Credits(1)), None);
        assert_eq!(Credits(5).checked_sub(Credits(7)), Some(Credits(-2)));
        assert_eq!(Credits::from_credits(i64::MAX), None);
    }
}
