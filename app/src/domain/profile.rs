//! Profile fields collected at sign-up: display name, account kind, organization and country.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Most characters in a display name.
const MAX_NAME_CHARS: usize = 80;
/// Most characters in an organization name.
const MAX_ORGANIZATION_CHARS: usize = 120;

const NAME_EMPTY: &str = "Enter your name.";
const NAME_TOO_LONG: &str = "Use at most 80 characters for your name.";
const NAME_CONTROL: &str = "Your name can't contain line breaks or other control characters.";
const KIND_UNKNOWN: &str = "Choose what kind of account this is.";
const COMPANY_REQUIRED: &str = "Enter your company's name.";
const UNIVERSITY_REQUIRED: &str = "Enter your university's name.";
const ORGANIZATION_TOO_LONG: &str = "Use at most 120 characters for the organization's name.";
const ORGANIZATION_CONTROL: &str =
    "The organization's name can't contain line breaks or other control characters.";
const COUNTRY_UNKNOWN: &str = "Choose your country from the list.";

/// The name we greet the user by: trimmed, 1–80 characters, single line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Parses user input; the `Err` is a message to show next to the form field.
    pub fn parse(input: &str) -> Result<DisplayName, String> {
        let name = input.trim();
        if name.is_empty() {
            return Err(NAME_EMPTY.into());
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(NAME_TOO_LONG.into());
        }
        if name.chars().any(char::is_control) {
            return Err(NAME_CONTROL.into());
        }
        Ok(DisplayName(name.to_owned()))
    }

    /// The name as entered (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for DisplayName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who the account is for; decides which organization field is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    /// Someone building on their own.
    Developer,
    /// Someone building for a company.
    Business,
    /// A student or researcher.
    Academic,
    /// Anything else.
    Other,
}

impl AccountKind {
    /// Every kind, in the order the sign-up form lists them.
    pub const ALL: [AccountKind; 4] = [
        AccountKind::Developer,
        AccountKind::Business,
        AccountKind::Academic,
        AccountKind::Other,
    ];

    /// The stored value; the database's CHECK constraint lists exactly these.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Developer => "developer",
            AccountKind::Business => "business",
            AccountKind::Academic => "academic",
            AccountKind::Other => "other",
        }
    }

    /// Parses a stored or submitted value (surrounding space and case ignored).
    pub fn parse(input: &str) -> Result<AccountKind, String> {
        let input = input.trim();
        AccountKind::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(input))
            .ok_or_else(|| KIND_UNKNOWN.into())
    }

    /// What the form shows for this kind.
    pub fn label(self) -> &'static str {
        match self {
            AccountKind::Developer => "Individual developer",
            AccountKind::Business => "Business",
            AccountKind::Academic => "Student or academic",
            AccountKind::Other => "Other",
        }
    }
}

/// The company or university behind an account: trimmed, 1–120 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization(String);

impl Organization {
    /// Parses the organization field for an account of `kind`: required for
    /// business and academic accounts, optional (empty gives `None`) otherwise.
    /// The `Err` is a message to show next to the form field.
    pub fn parse(input: &str, kind: AccountKind) -> Result<Option<Organization>, String> {
        let name = input.trim();
        if name.is_empty() {
            return match kind {
                AccountKind::Business => Err(COMPANY_REQUIRED.into()),
                AccountKind::Academic => Err(UNIVERSITY_REQUIRED.into()),
                AccountKind::Developer | AccountKind::Other => Ok(None),
            };
        }
        if name.chars().count() > MAX_ORGANIZATION_CHARS {
            return Err(ORGANIZATION_TOO_LONG.into());
        }
        if name.chars().any(char::is_control) {
            return Err(ORGANIZATION_CONTROL.into());
        }
        Ok(Some(Organization(name.to_owned())))
    }

    /// The name as entered (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Organization {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Organization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A country, held as its ISO 3166-1 alpha-2 code in upper case (`"NZ"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country(&'static str);

impl Country {
    /// Parses an alpha-2 code in any case (`"nz"`, `" NZ "`); the `Err` is a
    /// message to show next to the form field.
    pub fn parse(input: &str) -> Result<Country, String> {
        let code = input.trim();
        COUNTRIES
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(code))
            .map(|(known, _)| Country(known))
            .ok_or_else(|| COUNTRY_UNKNOWN.into())
    }

    /// The upper-case alpha-2 code, as stored.
    pub fn code(self) -> &'static str {
        self.0
    }

    /// The English short name, e.g. "New Zealand".
    pub fn name(self) -> &'static str {
        COUNTRIES
            .iter()
            .find(|(code, _)| *code == self.0)
            .map_or(self.0, |(_, name)| name)
    }
}

/// Every ISO 3166-1 country as (alpha-2 code, English short name), sorted by
/// name as a select list shows them. Names follow Debian's iso-codes 4.15,
/// using its common name where it has one ("Bolivia", "South Korea").
pub const COUNTRIES: &[(&str, &str)] = &[
    ("AF", "Afghanistan"),
    ("AX", "Åland Islands"),
    ("AL", "Albania"),
    ("DZ", "Algeria"),
    ("AS", "American Samoa"),
    ("AD", "Andorra"),
    ("AO", "Angola"),
    ("AI", "Anguilla"),
    ("AQ", "Antarctica"),
    ("AG", "Antigua and Barbuda"),
    ("AR", "Argentina"),
    ("AM", "Armenia"),
    ("AW", "Aruba"),
    ("AU", "Australia"),
    ("AT", "Austria"),
    ("AZ", "Azerbaijan"),
    ("BS", "Bahamas"),
    ("BH", "Bahrain"),
    ("BD", "Bangladesh"),
    ("BB", "Barbados"),
    ("BY", "Belarus"),
    ("BE", "Belgium"),
    ("BZ", "Belize"),
    ("BJ", "Benin"),
    ("BM", "Bermuda"),
    ("BT", "Bhutan"),
    ("BO", "Bolivia"),
    ("BQ", "Bonaire, Sint Eustatius and Saba"),
    ("BA", "Bosnia and Herzegovina"),
    ("BW", "Botswana"),
    ("BV", "Bouvet Island"),
    ("BR", "Brazil"),
    ("IO", "British Indian Ocean Territory"),
    ("BN", "Brunei Darussalam"),
    ("BG", "Bulgaria"),
    ("BF", "Burkina Faso"),
    ("BI", "Burundi"),
    ("CV", "Cabo Verde"),
    ("KH", "Cambodia"),
    ("CM", "Cameroon"),
    ("CA", "Canada"),
    ("KY", "Cayman Islands"),
    ("CF", "Central African Republic"),
    ("TD", "Chad"),
    ("CL", "Chile"),
    ("CN", "China"),
    ("CX", "Christmas Island"),
    ("CC", "Cocos (Keeling) Islands"),
    ("CO", "Colombia"),
    ("KM", "Comoros"),
    ("CG", "Congo"),
    ("CD", "Congo, The Democratic Republic of the"),
    ("CK", "Cook Islands"),
    ("CR", "Costa Rica"),
    ("CI", "Côte d'Ivoire"),
    ("HR", "Croatia"),
    ("CU", "Cuba"),
    ("CW", "Curaçao"),
    ("CY", "Cyprus"),
    ("CZ", "Czechia"),
    ("DK", "Denmark"),
    ("DJ", "Djibouti"),
    ("DM", "Dominica"),
    ("DO", "Dominican Republic"),
    ("EC", "Ecuador"),
    ("EG", "Egypt"),
    ("SV", "El Salvador"),
    ("GQ", "Equatorial Guinea"),
    ("ER", "Eritrea"),
    ("EE", "Estonia"),
    ("SZ", "Eswatini"),
    ("ET", "Ethiopia"),
    ("FK", "Falkland Islands (Malvinas)"),
    ("FO", "Faroe Islands"),
    ("FJ", "Fiji"),
    ("FI", "Finland"),
    ("FR", "France"),
    ("GF", "French Guiana"),
    ("PF", "French Polynesia"),
    ("TF", "French Southern Territories"),
    ("GA", "Gabon"),
    ("GM", "Gambia"),
    ("GE", "Georgia"),
    ("DE", "Germany"),
    ("GH", "Ghana"),
    ("GI", "Gibraltar"),
    ("GR", "Greece"),
    ("GL", "Greenland"),
    ("GD", "Grenada"),
    ("GP", "Guadeloupe"),
    ("GU", "Guam"),
    ("GT", "Guatemala"),
    ("GG", "Guernsey"),
    ("GN", "Guinea"),
    ("GW", "Guinea-Bissau"),
    ("GY", "Guyana"),
    ("HT", "Haiti"),
    ("HM", "Heard Island and McDonald Islands"),
    ("VA", "Holy See (Vatican City State)"),
    ("HN", "Honduras"),
    ("HK", "Hong Kong"),
    ("HU", "Hungary"),
    ("IS", "Iceland"),
    ("IN", "India"),
    ("ID", "Indonesia"),
    ("IR", "Iran"),
    ("IQ", "Iraq"),
    ("IE", "Ireland"),
    ("IM", "Isle of Man"),
    ("IL", "Israel"),
    ("IT", "Italy"),
    ("JM", "Jamaica"),
    ("JP", "Japan"),
    ("JE", "Jersey"),
    ("JO", "Jordan"),
    ("KZ", "Kazakhstan"),
    ("KE", "Kenya"),
    ("KI", "Kiribati"),
    ("KW", "Kuwait"),
    ("KG", "Kyrgyzstan"),
    ("LA", "Laos"),
    ("LV", "Latvia"),
    ("LB", "Lebanon"),
    ("LS", "Lesotho"),
    ("LR", "Liberia"),
    ("LY", "Libya"),
    ("LI", "Liechtenstein"),
    ("LT", "Lithuania"),
    ("LU", "Luxembourg"),
    ("MO", "Macao"),
    ("MG", "Madagascar"),
    ("MW", "Malawi"),
    ("MY", "Malaysia"),
    ("MV", "Maldives"),
    ("ML", "Mali"),
    ("MT", "Malta"),
    ("MH", "Marshall Islands"),
    ("MQ", "Martinique"),
    ("MR", "Mauritania"),
    ("MU", "Mauritius"),
    ("YT", "Mayotte"),
    ("MX", "Mexico"),
    ("FM", "Micronesia, Federated States of"),
    ("MD", "Moldova"),
    ("MC", "Monaco"),
    ("MN", "Mongolia"),
    ("ME", "Montenegro"),
    ("MS", "Montserrat"),
    ("MA", "Morocco"),
    ("MZ", "Mozambique"),
    ("MM", "Myanmar"),
    ("NA", "Namibia"),
    ("NR", "Nauru"),
    ("NP", "Nepal"),
    ("NL", "Netherlands"),
    ("NC", "New Caledonia"),
    ("NZ", "New Zealand"),
    ("NI", "Nicaragua"),
    ("NE", "Niger"),
    ("NG", "Nigeria"),
    ("NU", "Niue"),
    ("NF", "Norfolk Island"),
    ("KP", "North Korea"),
    ("MK", "North Macedonia"),
    ("MP", "Northern Mariana Islands"),
    ("NO", "Norway"),
    ("OM", "Oman"),
    ("PK", "Pakistan"),
    ("PW", "Palau"),
    ("PS", "Palestine, State of"),
    ("PA", "Panama"),
    ("PG", "Papua New Guinea"),
    ("PY", "Paraguay"),
    ("PE", "Peru"),
    ("PH", "Philippines"),
    ("PN", "Pitcairn"),
    ("PL", "Poland"),
    ("PT", "Portugal"),
    ("PR", "Puerto Rico"),
    ("QA", "Qatar"),
    ("RE", "Réunion"),
    ("RO", "Romania"),
    ("RU", "Russian Federation"),
    ("RW", "Rwanda"),
    ("BL", "Saint Barthélemy"),
    ("SH", "Saint Helena, Ascension and Tristan da Cunha"),
    ("KN", "Saint Kitts and Nevis"),
    ("LC", "Saint Lucia"),
    ("MF", "Saint Martin (French part)"),
    ("PM", "Saint Pierre and Miquelon"),
    ("VC", "Saint Vincent and the Grenadines"),
    ("WS", "Samoa"),
    ("SM", "San Marino"),
    ("ST", "Sao Tome and Principe"),
    ("SA", "Saudi Arabia"),
    ("SN", "Senegal"),
    ("RS", "Serbia"),
    ("SC", "Seychelles"),
    ("SL", "Sierra Leone"),
    ("SG", "Singapore"),
    ("SX", "Sint Maarten (Dutch part)"),
    ("SK", "Slovakia"),
    ("SI", "Slovenia"),
    ("SB", "Solomon Islands"),
    ("SO", "Somalia"),
    ("ZA", "South Africa"),
    ("GS", "South Georgia and the South Sandwich Islands"),
    ("KR", "South Korea"),
    ("SS", "South Sudan"),
    ("ES", "Spain"),
    ("LK", "Sri Lanka"),
    ("SD", "Sudan"),
    ("SR", "Suriname"),
    ("SJ", "Svalbard and Jan Mayen"),
    ("SE", "Sweden"),
    ("CH", "Switzerland"),
    ("SY", "Syria"),
    ("TW", "Taiwan"),
    ("TJ", "Tajikistan"),
    ("TZ", "Tanzania"),
    ("TH", "Thailand"),
    ("TL", "Timor-Leste"),
    ("TG", "Togo"),
    ("TK", "Tokelau"),
    ("TO", "Tonga"),
    ("TT", "Trinidad and Tobago"),
    ("TN", "Tunisia"),
    ("TR", "Türkiye"),
    ("TM", "Turkmenistan"),
    ("TC", "Turks and Caicos Islands"),
    ("TV", "Tuvalu"),
    ("UG", "Uganda"),
    ("UA", "Ukraine"),
    ("AE", "United Arab Emirates"),
    ("GB", "United Kingdom"),
    ("US", "United States"),
    ("UM", "United States Minor Outlying Islands"),
    ("UY", "Uruguay"),
    ("UZ", "Uzbekistan"),
    ("VU", "Vanuatu"),
    ("VE", "Venezuela"),
    ("VN", "Vietnam"),
    ("VG", "Virgin Islands, British"),
    ("VI", "Virgin Islands, U.S."),
    ("WF", "Wallis and Futuna"),
    ("EH", "Western Sahara"),
    ("YE", "Yemen"),
    ("ZM", "Zambia"),
    ("ZW", "Zimbabwe"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_display_name_is_trimmed() {
        let name = DisplayName::parse("  Ada Lovelace ").unwrap();
        assert_eq!(name.as_str(), "Ada Lovelace");
        assert_eq!(name.to_string(), "Ada Lovelace");
    }

    #[test]
    fn an_empty_display_name_is_rejected() {
        assert_eq!(DisplayName::parse(" \t ").unwrap_err(), NAME_EMPTY);
    }

    #[test]
    fn a_display_name_of_80_characters_is_accepted_but_81_is_not() {
        assert!(DisplayName::parse(&"é".repeat(80)).is_ok());
        assert_eq!(
            DisplayName::parse(&"é".repeat(81)).unwrap_err(),
            NAME_TOO_LONG
        );
    }

    #[test]
    fn a_display_name_with_a_line_break_is_rejected() {
        assert_eq!(
            DisplayName::parse("Ada\nLovelace").unwrap_err(),
            NAME_CONTROL
        );
    }

    #[test]
    fn account_kinds_round_trip_through_their_stored_strings() {
        for kind in AccountKind::ALL {
            assert_eq!(AccountKind::parse(kind.as_str()), Ok(kind));
        }
        let stored: Vec<_> = AccountKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(stored, ["developer", "business", "academic", "other"]);
    }

    #[test]
    fn account_kind_parsing_ignores_case_and_surrounding_space() {
        assert_eq!(AccountKind::parse(" Academic "), Ok(AccountKind::Academic));
    }

    #[test]
    fn an_unknown_account_kind_is_rejected() {
        assert_eq!(AccountKind::parse("hobbyist").unwrap_err(), KIND_UNKNOWN);
    }

    #[test]
    fn account_kinds_have_form_labels() {
        assert_eq!(AccountKind::Developer.label(), "Individual developer");
        assert_eq!(AccountKind::Academic.label(), "Student or academic");
    }

    #[test]
    fn account_kind_serde_names_match_the_stored_strings() {
        use serde::de::{value::StrDeserializer, IntoDeserializer};
        for kind in AccountKind::ALL {
            let de: StrDeserializer<'_, serde::de::value::Error> =
                kind.as_str().into_deserializer();
            assert_eq!(AccountKind::deserialize(de), Ok(kind));
        }
    }

    #[test]
    fn a_business_must_name_its_company() {
        let err = Organization::parse("  ", AccountKind::Business).unwrap_err();
        assert_eq!(err, COMPANY_REQUIRED);
    }

    #[test]
    fn an_academic_must_name_their_university() {
        let err = Organization::parse("", AccountKind::Academic).unwrap_err();
        assert_eq!(err, UNIVERSITY_REQUIRED);
    }

    #[test]
    fn developers_and_others_may_leave_the_organization_empty() {
        assert_eq!(Organization::parse(" ", AccountKind::Developer), Ok(None));
        assert_eq!(Organization::parse("", AccountKind::Other), Ok(None));
    }

    #[test]
    fn a_given_organization_is_kept_for_any_kind() {
        for kind in AccountKind::ALL {
            let org = Organization::parse(" Analytical Engines Ltd ", kind).unwrap();
            assert_eq!(
                org.map(|o| o.to_string()).as_deref(),
                Some("Analytical Engines Ltd")
            );
        }
    }

    #[test]
    fn an_organization_over_120_characters_is_rejected() {
        assert!(Organization::parse(&"x".repeat(120), AccountKind::Business).is_ok());
        let err = Organization::parse(&"x".repeat(121), AccountKind::Other).unwrap_err();
        assert_eq!(err, ORGANIZATION_TOO_LONG);
    }

    #[test]
    fn an_organization_with_control_characters_is_rejected() {
        let err = Organization::parse("Acme\u{7}", AccountKind::Business).unwrap_err();
        assert_eq!(err, ORGANIZATION_CONTROL);
    }

    #[test]
    fn a_country_code_is_accepted_in_any_case_and_stored_upper_case() {
        let country = Country::parse(" nz ").unwrap();
        assert_eq!(country.code(), "NZ");
        assert_eq!(country.name(), "New Zealand");
        assert_eq!(Country::parse("De").unwrap().name(), "Germany");
    }

    #[test]
    fn an_unknown_country_code_is_rejected() {
        for bad in ["", "XX", "UK", "NZL", "New Zealand"] {
            assert_eq!(Country::parse(bad).unwrap_err(), COUNTRY_UNKNOWN, "{bad}");
        }
    }

    #[test]
    fn the_country_list_covers_all_249_iso_codes_once() {
        assert_eq!(COUNTRIES.len(), 249);
        let mut codes: Vec<_> = COUNTRIES.iter().map(|(code, _)| *code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 249);
        assert!(codes
            .iter()
            .all(|code| code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())));
    }

    #[test]
    fn the_country_list_is_sorted_by_name() {
        // Compare names with accents folded the way the list was sorted.
        fn key(name: &str) -> String {
            name.chars()
                .map(|c| match c {
                    'Å' => 'a',
                    'ç' => 'c',
                    'é' => 'e',
                    'ô' => 'o',
                    'ü' => 'u',
                    other => other.to_ascii_lowercase(),
                })
                .collect()
        }
        assert!(COUNTRIES.windows(2).all(|w| key(w[0].1) <= key(w[1].1)));
    }

    #[test]
    fn every_country_parses_back_to_its_own_name() {
        for (code, name) in COUNTRIES {
            let country = Country::parse(&code.to_lowercase()).unwrap();
            assert_eq!((country.code(), country.name()), (*code, *name));
        }
    }
}
