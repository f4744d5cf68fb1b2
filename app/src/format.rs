//! Formatting for people and for files: times, days, credits and counts.
//! One implementation of each, shared by the browser and the server (no
//! `cfg`), so a page, a header and a CSV export never disagree.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::domain::credits::{Credits, MICROS_PER_CREDIT};

/// A moment for people, in UTC to the minute: `2026-11-23 14:05 UTC`.
pub fn time(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    at.to_offset(UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// When something typed as a day expires. An expiry typed as `YYYY-MM-DD`
/// is stored as the end of that day, UTC (the next day's first instant), and
/// shown as the day typed: `2027-01-31 (end of day, UTC)`; any other moment
/// as [`time`].
pub fn expiry(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    if at.time() == time::Time::MIDNIGHT {
        if let Some(day) = at.date().previous_day() {
            return format!("{} (end of day, UTC)", date(day));
        }
    }
    self::time(at)
}

/// An audit record's JSON details in words: one `(field, value)` per key,
/// `amount_micros: 100000000` as `("amount", "100 credits")`, `null` as
/// "none", text as it is, anything else as compact JSON.
#[cfg(feature = "ssr")]
pub fn details(json: &serde_json::Value) -> Vec<(String, String)> {
    use serde_json::Value;
    let Value::Object(fields) = json else {
        return vec![(String::new(), json.to_string())];
    };
    fields
        .iter()
        .map(|(key, value)| {
            let credits = key.strip_suffix("_micros");
            let label = credits.unwrap_or(key).replace('_', " ");
            let text = match (credits, value) {
                (Some(_), Value::Number(n)) => match n.as_i64() {
                    Some(micros) => {
                        format!("{} credits", self::credits(Credits::from_micros(micros)))
                    }
                    None => n.to_string(),
                },
                (_, Value::Null) => "none".to_owned(),
                (_, Value::String(text)) => text.clone(),
                (_, other) => other.to_string(),
            };
            (label, text)
        })
        .collect()
}

/// A moment for machines (JSON details, logs): RFC 3339, e.g.
/// `2026-11-23T14:05:00Z`.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// A day: `2026-11-23`.
pub fn date(day: Date) -> String {
    let format = format_description!("[year]-[month]-[day]");
    day.format(&format).unwrap_or_default()
}

/// A count (of tokens, of milliseconds, of rows) with thousands separated
/// by commas: `1,234,567`, `-8,192`.
pub fn grouped(count: impl Into<i64>) -> String {
    let count: i64 = count.into();
    let sign = if count < 0 { "-" } else { "" };
    format!("{sign}{}", group_digits(count.unsigned_abs()))
}

/// A file size for people: `512 B`, `2.3 kB`, `1.2 MB`, `4.0 GB`
/// (powers of 1,000, as disks and networks count).
pub fn bytes(count: i64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = count.max(0) as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{} B", count.max(0))
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Credits for people: `1,234.5`: thousands separated, no trailing zeros,
/// at most 6 decimals (one micro-credit is `0.000001`).
pub fn credits(amount: Credits) -> String {
    credits_with(amount, group_digits)
}

/// A balance at a glance: `1,234.56`, two decimals, rounded down so it
/// never shows more than there is; `< 0.01` for less than a hundredth.
pub fn credits_brief(amount: Credits) -> String {
    let micros = amount.micros();
    let per_hundredth = MICROS_PER_CREDIT / 100;
    if micros > 0 && micros < per_hundredth {
        return "< 0.01".to_owned();
    }
    let hundredths = micros.div_euclid(per_hundredth);
    let sign = if hundredths < 0 { "-" } else { "" };
    let (units, cents) = (
        hundredths.unsigned_abs() / 100,
        hundredths.unsigned_abs() % 100,
    );
    format!("{sign}{}.{cents:02}", group_digits(units))
}

/// Credits for headers and spreadsheets: `1234.5`, a plain decimal without
/// separators, otherwise as [`credits`].
pub fn credits_plain(amount: Credits) -> String {
    credits_with(amount, |whole| whole.to_string())
}

/// `amount` as `[-]whole[.fraction]`, the whole part written by `whole`.
fn credits_with(amount: Credits, whole: impl Fn(u64) -> String) -> String {
    let micros = amount.micros();
    let sign = if micros < 0 { "-" } else { "" };
    let per_credit = MICROS_PER_CREDIT.unsigned_abs();
    let (units, fraction) = (
        micros.unsigned_abs() / per_credit,
        micros.unsigned_abs() % per_credit,
    );
    let units = whole(units);
    if fraction == 0 {
        return format!("{sign}{units}");
    }
    let fraction = format!("{fraction:06}");
    format!("{sign}{units}.{}", fraction.trim_end_matches('0'))
}

/// `1234567` as `1,234,567`.
fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn moments_are_shown_in_utc_to_the_minute() {
        assert_eq!(
            time(datetime!(2026-11-23 16:05:59 +02:00)),
            "2026-11-23 14:05 UTC"
        );
        assert_eq!(
            rfc3339(datetime!(2026-11-23 14:05:00 UTC)),
            "2026-11-23T14:05:00Z"
        );
        assert_eq!(date(date!(2026 - 01 - 02)), "2026-01-02");
    }

    #[test]
    fn an_expiry_shows_the_day_that_was_typed() {
        assert_eq!(
            expiry(datetime!(2027-02-01 00:00 UTC)),
            "2027-01-31 (end of day, UTC)"
        );
        assert_eq!(
            expiry(datetime!(2027-02-01 01:00 +01:00)),
            "2027-01-31 (end of day, UTC)"
        );
        assert_eq!(
            expiry(datetime!(2027-02-01 10:30 UTC)),
            "2027-02-01 10:30 UTC"
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn audit_details_read_as_words() {
        let json = serde_json::json!({"amount_micros": 100_000_000, "reason": "Hackathon",
                                      "expires_at": null, "rows": [1, 2]});
        let mut details = details(&json);
        details.sort();
        assert_eq!(
            details,
            [
                ("amount".to_owned(), "100 credits".to_owned()),
                ("expires at".to_owned(), "none".to_owned()),
                ("reason".to_owned(), "Hackathon".to_owned()),
                ("rows".to_owned(), "[1,2]".to_owned()),
            ]
        );
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(100), "100");
        assert_eq!(grouped(8192), "8,192");
        assert_eq!(grouped(128_000_i32), "128,000");
        assert_eq!(grouped(1_234_567_i64), "1,234,567");
        assert_eq!(grouped(-1_000_000), "-1,000,000");
        assert_eq!(grouped(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn a_balance_at_a_glance_is_rounded_down_to_hundredths() {
        let c = |micros| credits_brief(Credits::from_micros(micros));
        assert_eq!(c(135_499_021), "135.49");
        assert_eq!(c(1_234_567_890_000), "1,234,567.89");
        assert_eq!(c(0), "0.00");
        assert_eq!(c(9_999), "< 0.01");
        assert_eq!(c(10_000), "0.01");
        assert_eq!(c(-1), "-0.01");
    }

    #[test]
    fn credits_show_without_needless_zeros() {
        let c = Credits::from_micros;
        assert_eq!(credits(c(12_000_000)), "12");
        assert_eq!(credits(c(2_500_000)), "2.5");
        assert_eq!(credits(c(1)), "0.000001");
        assert_eq!(credits(c(1_234_567_890_000)), "1,234,567.89");
        assert_eq!(credits(c(-1_500_000)), "-1.5");
        assert_eq!(credits(c(0)), "0");
        assert_eq!(credits(c(i64::MIN)), "-9,223,372,036,854.775808");
    }

    #[test]
    fn plain_credits_have_no_separators_for_headers_and_spreadsheets() {
        let c = Credits::from_micros;
        assert_eq!(credits_plain(c(1_234_500_000)), "1234.5");
        assert_eq!(credits_plain(c(-2_000_000)), "-2");
        assert_eq!(credits_plain(c(12_500_000)), "12.5");
        assert_eq!(credits_plain(c(1)), "0.000001");
    }
}
