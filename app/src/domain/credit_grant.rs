//! One grant of credit as an admin types it (the grant and adjustment
//! forms, and each row of a bulk file): the reason, and the parsed grant.
//! Its expiry date follows [`ExpiryRule::CreditGrant`](crate::domain::calendar::ExpiryRule::CreditGrant).

use time::OffsetDateTime;

use crate::domain::credits::Credits;

/// The longest reason kept.
pub const MAX_REASON_CHARS: usize = 500;

/// A reason for a grant or an adjustment: required, trimmed, not too long.
pub fn parse_reason(input: &str) -> Result<String, String> {
    let reason = input.trim();
    if reason.is_empty() {
        return Err("Give a reason; it is kept in the audit log.".to_owned());
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(format!(
            "Keep the reason under {MAX_REASON_CHARS} characters."
        ));
    }
    Ok(reason.to_owned())
}

/// A row's grant, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedGrant {
    pub amount: Credits,
    pub expires_at: Option<OffsetDateTime>,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_required_and_trimmed() {
        assert_eq!(parse_reason("  hackathon "), Ok("hackathon".to_owned()));
        assert!(parse_reason("   ").is_err());
        assert!(parse_reason(&"x".repeat(MAX_REASON_CHARS + 1)).is_err());
    }
}
