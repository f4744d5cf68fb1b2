//! Access to a dataset beyond "open": the fields of an approval request
//! form and their answers, and a request's status.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::profile::Country;

/// Longest answer to a text field, in characters.
pub const MAX_ANSWER_CHARS: usize = 500;

/// What a request form field asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    /// A line of text.
    Text,
    /// One of the field's options.
    Select,
    /// A country, by ISO code.
    Country,
    /// A box to tick (a promise, an acknowledgement).
    Checkbox,
}

/// A field of a dataset's access request form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestField {
    /// The answer's key, `[a-z0-9_]`.
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

/// Checks a form's fields as a publisher wrote them: names unique and
/// well-formed, labels present, a select with options.
pub fn check_fields(fields: &[RequestField]) -> Result<(), String> {
    for (i, field) in fields.iter().enumerate() {
        let named = !field.name.is_empty()
            && field.name.len() <= 40
            && field
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !named {
            return Err(format!(
                "field {} needs a name of lower-case letters, digits and _.",
                i + 1
            ));
        }
        if fields[..i].iter().any(|f| f.name == field.name) {
            return Err(format!("two fields are named {}.", field.name));
        }
        if field.label.trim().is_empty() {
            return Err(format!("the field {} needs a label.", field.name));
        }
        if field.kind == FieldKind::Select && field.options.is_empty() {
            return Err(format!("the field {} needs options.", field.name));
        }
    }
    Ok(())
}

/// A form's answers checked against its fields: each field's answer by its
/// name (a ticked checkbox as `yes`, a country as its code), or the errors
/// by field name. Answers to fields the form does not have are ignored.
pub fn parse_answers(
    fields: &[RequestField],
    answers: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Vec<(String, String)>> {
    let mut parsed = BTreeMap::new();
    let mut errors = Vec::new();
    for field in fields {
        let raw = answers.get(&field.name).map_or("", |a| a.trim());
        let answer: Result<Option<String>, String> = match field.kind {
            _ if raw.is_empty() && field.kind != FieldKind::Checkbox => {
                if field.required {
                    Err(format!("Answer “{}”.", field.label))
                } else {
                    Ok(None)
                }
            }
            FieldKind::Text => {
                if raw.chars().any(char::is_control) {
                    Err("Keep this answer to one line.".to_owned())
                } else if raw.chars().count() > MAX_ANSWER_CHARS {
                    Err(format!(
                        "Keep this answer to {MAX_ANSWER_CHARS} characters or fewer."
                    ))
                } else {
                    Ok(Some(raw.to_owned()))
                }
            }
            FieldKind::Select => field
                .options
                .iter()
                .find(|o| o.as_str() == raw)
                .map(|o| Some(o.clone()))
                .ok_or_else(|| "Choose one of the options.".to_owned()),
            FieldKind::Country => Country::parse(raw).map(|c| Some(c.code().to_owned())),
            FieldKind::Checkbox => {
                let ticked = matches!(raw, "on" | "yes" | "true");
                if ticked {
                    Ok(Some("yes".to_owned()))
                } else if field.required {
                    Err(format!("Tick “{}” to send the request.", field.label))
                } else {
                    Ok(None)
                }
            }
        };
        match answer {
            Ok(Some(value)) => {
                parsed.insert(field.name.clone(), value);
            }
            Ok(None) => {}
            Err(message) => errors.push((field.name.clone(), message)),
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors)
    }
}

/// Where an access request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestStatus {
    Pending,
    Approved,
    Rejected,
    Revoked,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 4] =
        [Self::Pending, Self::Approved, Self::Rejected, Self::Revoked];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Revoked => "revoked",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Approved => "Approved",
            Self::Rejected => "Rejected",
            Self::Revoked => "Revoked",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == input.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Vec<RequestField> {
        vec![
            RequestField {
                name: "purpose".into(),
                label: "What will you use it for?".into(),
                kind: FieldKind::Text,
                options: vec![],
                required: true,
            },
            RequestField {
                name: "sector".into(),
                label: "Sector".into(),
                kind: FieldKind::Select,
                options: vec!["Academic".into(), "Industry".into()],
                required: false,
            },
            RequestField {
                name: "country".into(),
                label: "Country".into(),
                kind: FieldKind::Country,
                options: vec![],
                required: true,
            },
            RequestField {
                name: "no_redistribution".into(),
                label: "I will not share the files".into(),
                kind: FieldKind::Checkbox,
                options: vec![],
                required: true,
            },
        ]
    }

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn answers_are_checked_field_by_field() {
        let good = parse_answers(
            &fields(),
            &answers(&[
                ("purpose", " Teaching a forecasting course "),
                ("country", "sg"),
                ("no_redistribution", "on"),
                ("unknown", "ignored"),
            ]),
        );
        assert_eq!(
            good,
            Ok(answers(&[
                ("purpose", "Teaching a forecasting course"),
                ("country", "SG"),
                ("no_redistribution", "yes"),
            ]))
        );
        let bad = parse_answers(
            &fields(),
            &answers(&[
                ("purpose", "a\nb"),
                ("sector", "Government"),
                ("country", "XX"),
            ]),
        )
        .expect_err("errors");
        let named: Vec<&str> = bad.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(named, ["purpose", "sector", "country", "no_redistribution"]);
        assert_eq!(
            parse_answers(&fields(), &answers(&[]))
                .expect_err("errors")
                .first()
                .map(|(_, m)| m.clone()),
            Some("Answer “What will you use it for?”.".to_owned())
        );
    }

    #[test]
    fn a_publishers_fields_are_checked() {
        assert_eq!(check_fields(&fields()), Ok(()));
        let mut twice = fields();
        twice[1].name = "purpose".into();
        assert_eq!(
            check_fields(&twice),
            Err("two fields are named purpose.".into())
        );
        let mut bad = fields();
        bad[1].options.clear();
        assert!(check_fields(&bad).is_err());
        bad = fields();
        bad[0].name = "Purpose!".into();
        assert!(check_fields(&bad).is_err());
    }
}
