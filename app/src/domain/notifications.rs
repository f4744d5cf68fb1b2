//! What a person can be told about (the kinds of notification), how each
//! kind is stored and named on the preferences page, and the webhook
//! events an organization can subscribe to.

use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};

/// A kind of notification; each is switched on or off per person, in the
/// app and by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The balance fell below the person's threshold.
    LowBalance,
    /// Granted credit expires within a week.
    CreditsExpiring,
    /// An API key spent its whole spend cap.
    KeyCapReached,
    /// An organization's or a member's budget crossed 50, 80 or 100 %.
    BudgetThreshold,
    /// A course's term ends within a week.
    CourseEnding,
    /// Someone answered a support request.
    SupportReply,
    /// A dataset access request was decided.
    AccessDecided,
}

impl NotificationKind {
    /// Every kind, in the order the preferences page lists them.
    pub const ALL: [NotificationKind; 7] = [
        NotificationKind::LowBalance,
        NotificationKind::CreditsExpiring,
        NotificationKind::KeyCapReached,
        NotificationKind::BudgetThreshold,
        NotificationKind::CourseEnding,
        NotificationKind::SupportReply,
        NotificationKind::AccessDecided,
    ];

    /// The value stored in the database (and used in form field names).
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::LowBalance => "low_balance",
            NotificationKind::CreditsExpiring => "credits_expiring",
            NotificationKind::KeyCapReached => "key_cap_reached",
            NotificationKind::BudgetThreshold => "budget_threshold",
            NotificationKind::CourseEnding => "course_ending",
            NotificationKind::SupportReply => "support_reply",
            NotificationKind::AccessDecided => "access_decided",
        }
    }

    /// The kind stored as `value`, if any.
    pub fn parse(value: &str) -> Option<NotificationKind> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }

    /// A short name for people.
    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::LowBalance => "Low balance",
            NotificationKind::CreditsExpiring => "Credits expiring",
            NotificationKind::KeyCapReached => "Key spend cap reached",
            NotificationKind::BudgetThreshold => "Budget thresholds",
            NotificationKind::CourseEnding => "Course term ending",
            NotificationKind::SupportReply => "Support replies",
            NotificationKind::AccessDecided => "Dataset access decisions",
        }
    }

    /// One line saying when this kind is sent, for the preferences page.
    pub fn description(self) -> &'static str {
        match self {
            NotificationKind::LowBalance => {
                "Your balance falls below your threshold (by default 10 % of your last grant)."
            }
            NotificationKind::CreditsExpiring => "Credit you were granted expires within 7 days.",
            NotificationKind::KeyCapReached => "One of your API keys has spent its whole cap.",
            NotificationKind::BudgetThreshold => {
                "An organization budget you hold or own passes 50, 80 or 100 % in a period."
            }
            NotificationKind::CourseEnding => "The term of a course you take ends within 7 days.",
            NotificationKind::SupportReply => "Someone answers one of your support requests.",
            NotificationKind::AccessDecided => {
                "A request of yours for access to a dataset is approved, rejected or withdrawn."
            }
        }
    }
}

impl std::fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event an organization's webhook can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WebhookEvent {
    /// A member's budget crossed 50, 80 or 100 % of a period.
    #[serde(rename = "budget.threshold")]
    BudgetThreshold,
    /// The organization's pool balance fell low.
    #[serde(rename = "balance.low")]
    BalanceLow,
}

impl WebhookEvent {
    /// Every event, in the order the form lists them.
    pub const ALL: [WebhookEvent; 2] = [WebhookEvent::BudgetThreshold, WebhookEvent::BalanceLow];

    /// The event's name, as stored and sent in `X-Lab-Event`.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::BudgetThreshold => "budget.threshold",
            WebhookEvent::BalanceLow => "balance.low",
        }
    }

    /// The event named `value`, if any.
    pub fn parse(value: &str) -> Option<WebhookEvent> {
        Self::ALL.into_iter().find(|event| event.as_str() == value)
    }

    /// When it is sent, for the form.
    pub fn description(self) -> &'static str {
        match self {
            WebhookEvent::BudgetThreshold => {
                "A member's budget passes 50, 80 or 100 % in a period."
            }
            WebhookEvent::BalanceLow => "The organization's balance falls low.",
        }
    }
}

/// The percentages of a budget at which people are told, once each per
/// period.
pub const BUDGET_THRESHOLDS: [i64; 3] = [50, 80, 100];

/// The highest threshold of [`BUDGET_THRESHOLDS`] that `spent` of `budget`
/// has reached, if any (integer arithmetic: no rounding up to a threshold).
pub fn budget_threshold(spent: i64, budget: i64) -> Option<i64> {
    if budget <= 0 {
        return None;
    }
    BUDGET_THRESHOLDS
        .into_iter()
        .rev()
        .find(|percent| i128::from(spent) * 100 >= i128::from(budget) * i128::from(*percent))
}

/// The default low-balance threshold: 10 % of the last grant.
pub fn default_low_balance(last_grant: i64) -> i64 {
    last_grant / 10
}

/// Longest webhook URL accepted, in bytes.
pub const MAX_WEBHOOK_URL: usize = 2000;

/// Why a webhook URL is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookUrlError {
    /// Not an absolute `http(s)://host/…` URL, or too long.
    Malformed,
    /// `http://` where only `https://` is allowed.
    NotHttps,
    /// Carries a user name or password (they would be sent in clear text
    /// to every reader of the delivery log).
    Credentials,
}

impl WebhookUrlError {
    /// What to tell the person who typed it.
    pub fn message(self) -> &'static str {
        match self {
            WebhookUrlError::Malformed => "Enter a full URL, like https://example.com/hooks/lab.",
            WebhookUrlError::NotHttps => "Use an https:// URL.",
            WebhookUrlError::Credentials => "Leave the user name and password out of the URL.",
        }
    }
}

/// Checks a webhook URL as typed: absolute, `https` (or `http` when
/// `allow_http`), with a host and no credentials. Whether its address is
/// allowed is decided at delivery, on the address it resolves to then.
pub fn parse_webhook_url(raw: &str, allow_http: bool) -> Result<String, WebhookUrlError> {
    let url = raw.trim();
    if url.is_empty() || url.len() > MAX_WEBHOOK_URL || url.chars().any(char::is_whitespace) {
        return Err(WebhookUrlError::Malformed);
    }
    let (scheme, rest) = url.split_once("://").ok_or(WebhookUrlError::Malformed)?;
    match scheme.to_ascii_lowercase().as_str() {
        "https" => {}
        "http" if allow_http => {}
        "http" => return Err(WebhookUrlError::NotHttps),
        _ => return Err(WebhookUrlError::Malformed),
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(WebhookUrlError::Credentials);
    }
    let host = authority
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(authority, |(host, _)| host);
    if host.is_empty() || host.contains(char::is_control) {
        return Err(WebhookUrlError::Malformed);
    }
    Ok(url.to_owned())
}

/// Whether a webhook may be sent to `ip` where only public targets are
/// allowed: not loopback, private, link-local, shared (carrier-grade NAT),
/// unspecified, multicast, broadcast, documentation or otherwise reserved
/// space, in IPv4 or IPv6 (an IPv4 address inside IPv6 is judged as IPv4).
pub fn is_public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let segments = v6.segments();
            // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last bits.
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [a, b] = segments[6].to_be_bytes();
                let [c, d] = segments[7].to_be_bytes();
                return is_public_v4(Ipv4Addr::new(a, b, c, d));
            }
            let first = segments[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local fc00::/7, link-local fe80::/10, site-local fec0::/10.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first & 0xffc0) == 0xfec0
                // Documentation 2001:db8::/32; IPv4-compatible ::/96.
                || (first == 0x2001 && segments[1] == 0x0db8)
                || segments[..6] == [0; 6])
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments 192.0.0.0/24; benchmarking 198.18.0.0/15.
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        // Reserved 240.0.0.0/4.
        || a >= 240)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_webhook_targets() {
        let public = [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ];
        for ip in public {
            assert!(is_public_address(ip.parse().expect("ip")), "{ip}");
        }
        let private = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
        ];
        for ip in private {
            assert!(!is_public_address(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn every_kind_parses_back_from_its_stored_value() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
            assert!(!kind.label().is_empty() && !kind.description().is_empty());
        }
        assert_eq!(NotificationKind::parse("nope"), None);
    }

    #[test]
    fn kinds_serialize_as_their_stored_values() {
        for kind in NotificationKind::ALL {
            let json = serde_json::to_string(&kind).expect("serializes");
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
    }

    #[test]
    fn every_event_parses_back_from_its_name() {
        for event in WebhookEvent::ALL {
            assert_eq!(WebhookEvent::parse(event.as_str()), Some(event));
            let json = serde_json::to_string(&event).expect("serializes");
            assert_eq!(json, format!("\"{}\"", event.as_str()));
        }
    }

    #[test]
    fn a_budget_reaches_the_highest_threshold_passed_and_never_rounds_up() {
        assert_eq!(budget_threshold(0, 100), None);
        assert_eq!(budget_threshold(49, 100), None);
        assert_eq!(budget_threshold(50, 100), Some(50));
        assert_eq!(budget_threshold(799_999, 1_000_000), Some(50));
        assert_eq!(budget_threshold(800_000, 1_000_000), Some(80));
        assert_eq!(budget_threshold(2_000, 1_000), Some(100));
        assert_eq!(budget_threshold(10, 0), None);
    }

    #[test]
    fn the_default_threshold_is_a_tenth_of_the_last_grant() {
        assert_eq!(default_low_balance(100_000_000), 10_000_000);
    }

    #[test]
    fn webhook_urls_must_be_https_unless_http_is_allowed() {
        assert_eq!(
            parse_webhook_url(" https://hooks.example.com/lab ", false),
            Ok("https://hooks.example.com/lab".to_owned())
        );
        assert_eq!(
            parse_webhook_url("http://127.0.0.1:8080/x", false),
            Err(WebhookUrlError::NotHttps)
        );
        assert!(parse_webhook_url("http://127.0.0.1:8080/x", true).is_ok());
        assert_eq!(
            parse_webhook_url("ftp://example.com", true),
            Err(WebhookUrlError::Malformed)
        );
        assert_eq!(
            parse_webhook_url("https://", false),
            Err(WebhookUrlError::Malformed)
        );
        assert_eq!(
            parse_webhook_url("https://a b.example", false),
            Err(WebhookUrlError::Malformed)
        );
        assert_eq!(
            parse_webhook_url("https://user:pw@example.com/", false),
            Err(WebhookUrlError::Credentials)
        );
        assert_eq!(
            parse_webhook_url("example.com/hook", false),
            Err(WebhookUrlError::Malformed)
        );
    }
}
