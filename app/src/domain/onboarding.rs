//! Fields of the onboarding application: industry, expected usage and what the applicant wants to build.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Fewest characters in the "what do you want to build" answer.
const MIN_BUILDING_CHARS: usize = 10;
/// Most characters in the "what do you want to build" answer.
const MAX_BUILDING_CHARS: usize = 2000;

const INDUSTRY_UNKNOWN: &str = "Choose your industry.";
const USAGE_UNKNOWN: &str = "Choose how you expect to use the platform.";
const BUILDING_EMPTY: &str = "Tell us what you want to build.";
const BUILDING_TOO_SHORT: &str = "Tell us a little more: at least 10 characters.";
const BUILDING_TOO_LONG: &str = "Keep it to 2000 characters or fewer.";
const BUILDING_CONTROL: &str = "Remove the unusual control characters from your answer.";

/// The applicant's industry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Industry {
    /// Banking, insurance, payments.
    Finance,
    /// Care providers, life sciences.
    Healthcare,
    /// Transport and supply chains.
    Logistics,
    /// Making physical goods.
    Manufacturing,
    /// Shops and e-commerce.
    Retail,
    /// Power, oil and gas, utilities.
    Energy,
    /// Schools, universities, training.
    Education,
    /// Anything else.
    Other,
}

impl Industry {
    /// Every industry, in the order the form lists them.
    pub const ALL: [Industry; 8] = [
        Industry::Finance,
        Industry::Healthcare,
        Industry::Logistics,
        Industry::Manufacturing,
        Industry::Retail,
        Industry::Energy,
        Industry::Education,
        Industry::Other,
    ];

    /// The stored value: the variant name in lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            Industry::Finance => "finance",
            Industry::Healthcare => "healthcare",
            Industry::Logistics => "logistics",
            Industry::Manufacturing => "manufacturing",
            Industry::Retail => "retail",
            Industry::Energy => "energy",
            Industry::Education => "education",
            Industry::Other => "other",
        }
    }

    /// Parses a stored or submitted value (surrounding space and case ignored).
    pub fn parse(input: &str) -> Result<Industry, String> {
        let input = input.trim();
        Industry::ALL
            .into_iter()
            .find(|industry| industry.as_str().eq_ignore_ascii_case(input))
            .ok_or_else(|| INDUSTRY_UNKNOWN.into())
    }

    /// What the form shows for this industry.
    pub fn label(self) -> &'static str {
        match self {
            Industry::Finance => "Finance",
            Industry::Healthcare => "Healthcare",
            Industry::Logistics => "Logistics",
            Industry::Manufacturing => "Manufacturing",
            Industry::Retail => "Retail",
            Industry::Energy => "Energy",
            Industry::Education => "Education",
            Industry::Other => "Other",
        }
    }
}

/// How far along the applicant expects to take their use of the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExpectedUsage {
    /// Trying things out.
    Exploring,
    /// Building something to show.
    Prototype,
    /// Serving real users.
    Production,
}

impl ExpectedUsage {
    /// Every stage, in the order the form lists them.
    pub const ALL: [ExpectedUsage; 3] = [
        ExpectedUsage::Exploring,
        ExpectedUsage::Prototype,
        ExpectedUsage::Production,
    ];

    /// The stored value: the variant name in lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpectedUsage::Exploring => "exploring",
            ExpectedUsage::Prototype => "prototype",
            ExpectedUsage::Production => "production",
        }
    }

    /// Parses a stored or submitted value (surrounding space and case ignored).
    pub fn parse(input: &str) -> Result<ExpectedUsage, String> {
        let input = input.trim();
        ExpectedUsage::ALL
            .into_iter()
            .find(|usage| usage.as_str().eq_ignore_ascii_case(input))
            .ok_or_else(|| USAGE_UNKNOWN.into())
    }

    /// What the form shows for this stage.
    pub fn label(self) -> &'static str {
        match self {
            ExpectedUsage::Exploring => "Exploring and learning",
            ExpectedUsage::Prototype => "Building a prototype",
            ExpectedUsage::Production => "Running in production",
        }
    }
}

/// The free-text answer to "what do you want to build": trimmed, 10–2000
/// characters; line breaks and tabs are fine, other control characters not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Building(String);

impl Building {
    /// Parses the answer; the `Err` is a message to show next to the field.
    pub fn parse(input: &str) -> Result<Building, String> {
        let text = input.trim();
        if text.is_empty() {
            return Err(BUILDING_EMPTY.into());
        }
        let chars = text.chars().count();
        if chars < MIN_BUILDING_CHARS {
            return Err(BUILDING_TOO_SHORT.into());
        }
        if chars > MAX_BUILDING_CHARS {
            return Err(BUILDING_TOO_LONG.into());
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(BUILDING_CONTROL.into());
        }
        Ok(Building(text.to_owned()))
    }

    /// The answer as entered (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Building {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Building {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use serde::de::value::{Error, StrDeserializer};
    use serde::de::IntoDeserializer;

    use super::*;

    fn from_serde<'a, T: Deserialize<'a>>(name: &'a str) -> Result<T, Error> {
        let de: StrDeserializer<'a, Error> = name.into_deserializer();
        T::deserialize(de)
    }

    #[test]
    fn industries_are_stored_as_their_lowercased_variant_names() {
        let stored: Vec<_> = Industry::ALL.iter().map(|i| i.as_str()).collect();
        assert_eq!(
            stored,
            [
                "finance",
                "healthcare",
                "logistics",
                "manufacturing",
                "retail",
                "energy",
                "education",
                "other"
            ]
        );
    }

    #[test]
    fn industries_round_trip_through_parse_and_serde() {
        for industry in Industry::ALL {
            assert_eq!(Industry::parse(industry.as_str()), Ok(industry));
            assert_eq!(from_serde::<Industry>(industry.as_str()), Ok(industry));
            assert!(!industry.label().is_empty());
        }
    }

    #[test]
    fn industry_parsing_ignores_case_and_surrounding_space() {
        assert_eq!(Industry::parse(" Healthcare\n"), Ok(Industry::Healthcare));
    }

    #[test]
    fn an_unknown_industry_is_rejected() {
        assert_eq!(Industry::parse("farming").unwrap_err(), INDUSTRY_UNKNOWN);
    }

    #[test]
    fn expected_usages_round_trip_through_parse_and_serde() {
        for usage in ExpectedUsage::ALL {
            assert_eq!(ExpectedUsage::parse(usage.as_str()), Ok(usage));
            assert_eq!(from_serde::<ExpectedUsage>(usage.as_str()), Ok(usage));
        }
        let stored: Vec<_> = ExpectedUsage::ALL.iter().map(|u| u.as_str()).collect();
        assert_eq!(stored, ["exploring", "prototype", "production"]);
    }

    #[test]
    fn expected_usages_have_form_labels() {
        assert_eq!(ExpectedUsage::Exploring.label(), "Exploring and learning");
        assert_eq!(ExpectedUsage::Prototype.label(), "Building a prototype");
        assert_eq!(ExpectedUsage::Production.label(), "Running in production");
    }

    #[test]
    fn an_unknown_expected_usage_is_rejected() {
        assert_eq!(ExpectedUsage::parse("").unwrap_err(), USAGE_UNKNOWN);
    }

    #[test]
    fn a_building_answer_is_trimmed_and_may_span_lines() {
        let answer = Building::parse("  A chatbot\nfor our\tsupport desk.  ").unwrap();
        assert_eq!(answer.as_str(), "A chatbot\nfor our\tsupport desk.");
    }

    #[test]
    fn an_empty_building_answer_asks_for_one() {
        assert_eq!(Building::parse(" \n ").unwrap_err(), BUILDING_EMPTY);
    }

    #[test]
    fn a_building_answer_needs_ten_characters() {
        assert_eq!(
            Building::parse("  a bot  ").unwrap_err(),
            BUILDING_TOO_SHORT
        );
        assert!(Building::parse("ten chars!").is_ok());
    }

    #[test]
    fn a_building_answer_may_have_2000_characters_but_not_more() {
        assert!(Building::parse(&"ü".repeat(2000)).is_ok());
        assert_eq!(
            Building::parse(&"ü".repeat(2001)).unwrap_err(),
            BUILDING_TOO_LONG
        );
    }

    #[test]
    fn a_building_answer_with_other_control_characters_is_rejected() {
        let err = Building::parse("A chatbot\u{0} for support").unwrap_err();
        assert_eq!(err, BUILDING_CONTROL);
    }
}
