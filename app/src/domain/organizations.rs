//! Business organizations: their roles, their form, budgets and the
//! email-domain rule, checked as the database checks them.
//!
//! The people side (roles, invitations, budgets, domains) is shared with
//! universities' institutions and cohorts, which are teams too.

use serde::{Deserialize, Serialize};

use super::credits::Credits;
use super::datasets::DatasetIndustry;
use super::email::Email;
use super::profile::Country;
use crate::error::{AppError, FieldErrors};

/// A member's role in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OrgRole {
    Member,
    Admin,
    Owner,
}

impl OrgRole {
    pub const ALL: [OrgRole; 3] = [OrgRole::Owner, OrgRole::Admin, OrgRole::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Owner => "Owner",
            Self::Admin => "Admin",
            Self::Member => "Member",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == input.trim())
    }

    /// Owners and admins manage members, invitations, budgets and keys.
    pub fn manages(self) -> bool {
        matches!(self, Self::Owner | Self::Admin)
    }

    /// Whether someone of this role may give `role` to a member or an
    /// invitation: only owners make owners.
    pub fn may_grant(self, role: OrgRole) -> bool {
        match self {
            Self::Owner => true,
            Self::Admin => role != Self::Owner,
            Self::Member => false,
        }
    }
}

/// How often a budget starts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BudgetPeriod {
    Day,
    Week,
    Month,
    Total,
}

impl BudgetPeriod {
    pub const ALL: [BudgetPeriod; 4] = [Self::Day, Self::Week, Self::Month, Self::Total];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Total => "total",
        }
    }

    /// "per day", … "in total".
    pub fn label(self) -> &'static str {
        match self {
            Self::Day => "per day",
            Self::Week => "per week (from Monday)",
            Self::Month => "per calendar month",
            Self::Total => "in total",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == input.trim())
    }
}

/// A member's budget: at most `amount` per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    pub amount: Credits,
    pub period: BudgetPeriod,
}

/// A budget as typed: an amount in credits (empty: no budget) and a period.
pub fn parse_budget(amount: &str, period: &str) -> Result<Option<Budget>, AppError> {
    let mut errors = FieldErrors::default();
    let amount = amount.trim();
    if amount.is_empty() {
        return Ok(None);
    }
    let credits = errors.check(
        "budget_amount",
        Credits::parse(amount, false).and_then(|c| {
            if c.micros() < 0 {
                Err("A budget cannot be negative.".to_owned())
            } else {
                Ok(c)
            }
        }),
    );
    let period = errors.check(
        "budget_period",
        BudgetPeriod::parse(period)
            .ok_or_else(|| "Choose how often the budget starts again.".to_owned()),
    );
    errors.finish()?;
    match (credits, period) {
        (Some(amount), Some(period)) => Ok(Some(Budget { amount, period })),
        _ => Err(AppError::InvalidRequest(
            "A budget needs an amount and a period.".to_owned(),
        )),
    }
}

/// The longest organization name.
pub const MAX_NAME: usize = 120;

/// An organization's description, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgForm {
    pub name: String,
    pub slug: String,
    pub website: Option<String>,
    pub country: String,
    pub industry: String,
    /// An IANA time zone name; the database confirms it exists.
    pub time_zone: String,
}

/// The organization form's fields, as posted.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrgFields<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub website: &'a str,
    pub country: &'a str,
    pub industry: &'a str,
    pub time_zone: &'a str,
}

/// Checks every field of the organization form.
pub fn parse_org(fields: OrgFields<'_>) -> Result<OrgForm, AppError> {
    let mut errors = FieldErrors::default();
    let name = errors.check("name", name(fields.name));
    let slug = errors.check("slug", slug(fields.slug));
    let website = errors.check("website", website(fields.website));
    let country = errors.check(
        "country",
        Country::parse(fields.country).map(|c| c.code().to_owned()),
    );
    let industry = errors.check(
        "industry",
        DatasetIndustry::parse(fields.industry)
            .map(|i| i.as_str().to_owned())
            .ok_or_else(|| "Choose the organization's industry.".to_owned()),
    );
    let time_zone = errors.check("time_zone", time_zone(fields.time_zone));
    errors.finish()?;
    match (name, slug, website, country, industry, time_zone) {
        (Some(name), Some(slug), Some(website), Some(country), Some(industry), Some(time_zone)) => {
            Ok(OrgForm {
                name,
                slug,
                website,
                country,
                industry,
                time_zone,
            })
        }
        _ => Err(AppError::InvalidRequest(
            "Check the organization's details.".to_owned(),
        )),
    }
}

fn name(input: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() {
        return Err("Give the organization a name.".to_owned());
    }
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(format!(
            "Keep the name to {MAX_NAME} characters, on one line."
        ));
    }
    Ok(name.to_owned())
}

/// An organization's address in the portal (`/orgs/{slug}`): 1–40 lower-case
/// letters, digits and hyphens, not starting or ending with a hyphen.
pub fn slug(input: &str) -> Result<String, String> {
    let slug = input.trim();
    let bytes = slug.as_bytes();
    let allowed = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-';
    if bytes.is_empty()
        || bytes.len() > 40
        || !bytes.iter().all(allowed)
        || bytes.first() == Some(&b'-')
        || bytes.last() == Some(&b'-')
    {
        return Err(
            "Use 1–40 lower-case letters, digits and hyphens (not at either end), like acme-labs."
                .to_owned(),
        );
    }
    if matches!(slug, "new" | "join" | "invitations") {
        return Err("That address is reserved; choose another.".to_owned());
    }
    Ok(slug.to_owned())
}

/// A slug suggested from a name: "Acme Labs, Inc." → "acme-labs-inc".
pub fn suggest_slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    slug.chars()
        .take(40)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

fn website(input: &str) -> Result<Option<String>, String> {
    let url = input.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 200
        && url.contains('.')
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(Some(url.to_owned()))
    } else {
        Err("Give the website as an address starting with https://, or leave it empty.".to_owned())
    }
}

fn time_zone(input: &str) -> Result<String, String> {
    let zone = input.trim();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+');
    if zone.is_empty() {
        return Ok("UTC".to_owned());
    }
    if zone.len() > 64 || !zone.chars().all(allowed) {
        return Err("Give a time zone like Europe/Berlin or Asia/Singapore.".to_owned());
    }
    Ok(zone.to_owned())
}

/// An email domain for the join rule: `example.com`, lower case, at least
/// two labels; an address or a leading `@` is read as its domain.
pub fn email_domain(input: &str) -> Result<String, String> {
    let domain = input
        .trim()
        .rsplit('@')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 || domain.len() > 253 || !labels.iter().all(|l| label_ok(l)) {
        return Err("Give a domain like example.com.".to_owned());
    }
    Ok(domain)
}

/// The domain of `email`, lower case.
pub fn domain_of(email: &str) -> Option<String> {
    email
        .rsplit_once('@')
        .map(|(_, d)| d.trim().to_ascii_lowercase())
}

/// An invitation's address and role, checked.
pub fn parse_invitation(email: &str, role: &str) -> Result<(String, OrgRole), AppError> {
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(email).map(|e| e.normalized()));
    let role = errors.check(
        "role",
        OrgRole::parse(role).ok_or_else(|| "Choose a role.".to_owned()),
    );
    errors.finish()?;
    match (email, role) {
        (Some(email), Some(role)) => Ok((email, role)),
        _ => Err(AppError::InvalidRequest("Check the invitation.".to_owned())),
    }
}

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_no_more_than_they_hold() {
        assert!(OrgRole::Owner.may_grant(OrgRole::Owner));
        assert!(OrgRole::Admin.may_grant(OrgRole::Admin));
        assert!(!OrgRole::Admin.may_grant(OrgRole::Owner));
        assert!(!OrgRole::Member.may_grant(OrgRole::Member));
        assert!(OrgRole::Admin.manages() && !OrgRole::Member.manages());
        for role in OrgRole::ALL {
            assert_eq!(OrgRole::parse(role.as_str()), Some(role));
        }
    }

    #[test]
    fn budgets_need_an_amount_and_a_period() {
        assert_eq!(parse_budget(" ", "month").expect("none"), None);
        let budget = parse_budget("12.5", "month")
            .expect("a budget")
            .expect("some");
        assert_eq!(budget.amount.micros(), 12_500_000);
        assert_eq!(budget.period, BudgetPeriod::Month);
        assert!(parse_budget("-1", "day").is_err());
        assert!(parse_budget("10", "fortnight").is_err());
        assert!(parse_budget("ten", "day").is_err());
        assert_eq!(
            parse_budget("0", "total")
                .expect("zero")
                .map(|b| b.amount.micros()),
            Some(0)
        );
    }

    #[test]
    fn the_form_is_checked_field_by_field() {
        let form = parse_org(OrgFields {
            name: " Acme Labs ",
            slug: "acme-labs",
            website: "https://acme.example",
            country: "sg",
            industry: "finance",
            time_zone: "Asia/Singapore",
        })
        .expect("a good form");
        assert_eq!(form.name, "Acme Labs");
        assert_eq!(form.country, "SG");
        let Err(AppError::Validation(errors)) = parse_org(OrgFields {
            name: "",
            slug: "-bad",
            website: "ftp://x",
            country: "XX",
            industry: "mining",
            time_zone: "Not a zone!",
        }) else {
            panic!("every field is wrong");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "slug",
                "website",
                "country",
                "industry",
                "time_zone"
            ]
        );
    }

    #[test]
    fn slugs_are_suggested_from_names() {
        assert_eq!(suggest_slug("Acme Labs, Inc."), "acme-labs-inc");
        assert_eq!(suggest_slug("  Ünïcode  Co "), "n-code-co");
        assert!(slug(&suggest_slug(&"x".repeat(80))).is_ok());
        assert!(slug("new").is_err());
    }

    #[test]
    fn domains_are_read_from_addresses_too() {
        assert_eq!(email_domain("@Example.COM").as_deref(), Ok("example.com"));
        assert_eq!(email_domain("ann@nus.edu.sg").as_deref(), Ok("nus.edu.sg"));
        assert!(email_domain("localhost").is_err());
        assert!(email_domain("-bad.com").is_err());
        assert_eq!(domain_of("Ann@Example.com").as_deref(), Some("example.com"));
    }
}
