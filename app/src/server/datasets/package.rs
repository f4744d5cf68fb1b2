//! Frictionless data packages (`datapackage.json`): what the starter
//! catalog's folders and an imported `.zip` say about a dataset — name,
//! title, description, licenses, sources, keywords, resources and their
//! schemas — and the `lab` object the Lab adds (industry, tasks, access,
//! publisher, citation, the request form of an approval dataset). A package
//! from elsewhere has no `lab` object: the importer says what it lacks.

use serde::Deserialize;

use super::ingest::Column;
use crate::domain::dataset_access::{check_fields, RequestField};
use crate::domain::dataset_forms::{DatasetMeta, UNKNOWN_LICENSE};
use crate::domain::datasets::{parse_slug, Access, DatasetIndustry, TASKS};

/// The parts of a `datapackage.json` the catalog reads.
#[derive(Debug, Deserialize)]
pub struct Package {
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub licenses: Vec<License>,
    #[serde(default)]
    pub sources: Vec<Source>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub contributors: Vec<Contributor>,
    #[serde(default)]
    pub homepage: Option<String>,
    pub resources: Vec<Resource>,
    #[serde(default)]
    pub lab: Option<Lab>,
}

#[derive(Debug, Deserialize)]
pub struct License {
    /// The SPDX id; empty when the source publishes none.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub path: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Source {
    pub title: String,
    #[serde(default)]
    pub path: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Contributor {
    pub title: String,
    #[serde(default)]
    pub role: String,
}

#[derive(Debug, Deserialize)]
pub struct Resource {
    /// A file inside the package (a URL, or a list of files, is not
    /// imported).
    pub path: serde_json::Value,
    #[serde(default)]
    pub schema: Option<Schema>,
}

#[derive(Debug, Deserialize)]
pub struct Schema {
    #[serde(default)]
    pub fields: Vec<Field>,
}

#[derive(Debug, Deserialize)]
pub struct Field {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// What the Lab adds to a package.
#[derive(Debug, Default, Deserialize)]
pub struct Lab {
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub tasks: Vec<String>,
    #[serde(default)]
    pub access: String,
    #[serde(default)]
    pub publisher: String,
    #[serde(default)]
    pub citation: Option<String>,
    #[serde(default)]
    pub featured: bool,
    #[serde(default)]
    pub languages: Vec<String>,
    /// Access `approval`: the request form's fields.
    #[serde(default)]
    pub request_fields: Vec<RequestField>,
}

impl Package {
    /// Reads a `datapackage.json`.
    pub fn parse(json: &str) -> Result<Self, String> {
        serde_json::from_str(json).map_err(|e| format!("datapackage.json cannot be read ({e})."))
    }

    /// The file of each resource, as a safe path inside the package.
    pub fn resource_paths(&self) -> Result<Vec<String>, String> {
        self.resources
            .iter()
            .enumerate()
            .map(|(i, resource)| {
                let path = resource.path.as_str().ok_or_else(|| {
                    format!(
                        "resource {} names its data as a list or object; give it one file in the package.",
                        i + 1
                    )
                })?;
                let remote = path.contains("://");
                let escapes = path.starts_with('/')
                    || path.split(['/', '\\']).any(|part| part == ".." || part.is_empty());
                if remote || escapes || path.is_empty() {
                    return Err(format!(
                        "resource {} is at \"{path}\"; only files inside the package are imported.",
                        i + 1
                    ));
                }
                Ok(path.to_owned())
            })
            .collect()
    }

    /// What the dataset says about itself: the package's own words, with
    /// the Lab's `lab` object where it has one and `fallback` (the
    /// importer's choices) where it does not. `terms` and `request_fields`
    /// are checked for the access level chosen.
    pub fn meta(&self, fallback: &Lab, terms: String) -> Result<DatasetMeta, String> {
        let lab = self.lab.as_ref();
        let pick = |own: Option<&String>, other: &String| {
            own.filter(|v| !v.trim().is_empty())
                .unwrap_or(other)
                .trim()
                .to_owned()
        };
        let slug = parse_slug(&self.name.replace(['.', '_'], "-").to_ascii_lowercase())
            .map_err(|e| format!("the package's name \"{}\" cannot be a slug: {e}", self.name))?;
        let industry = pick(lab.map(|l| &l.industry), &fallback.industry);
        let industry = DatasetIndustry::parse(&industry)
            .ok_or_else(|| format!("unknown industry \"{industry}\"."))?;
        let access = pick(lab.map(|l| &l.access), &fallback.access);
        let access = Access::parse(if access.is_empty() { "open" } else { &access })
            .ok_or_else(|| format!("unknown access level \"{access}\"."))?;
        let tasks = lab.map_or(&fallback.tasks, |l| &l.tasks).clone();
        if let Some(task) = tasks
            .iter()
            .find(|t| !TASKS.iter().any(|(known, _)| known == *t))
        {
            return Err(format!("unknown task \"{task}\"."));
        }
        let license = self.licenses.first().ok_or(
            "the package names no license (write one whose title is \"unknown — see source\").",
        )?;
        let license_name = if license.title.trim().is_empty() {
            if license.name.trim().is_empty() {
                UNKNOWN_LICENSE.to_owned()
            } else {
                license.name.trim().to_owned()
            }
        } else {
            license.title.trim().to_owned()
        };
        let source = self.sources.first();
        let source_name = source
            .map(|s| s.title.trim().to_owned())
            .filter(|s| !s.is_empty())
            .ok_or("the package names no source (its \"sources\" list is empty).")?;
        let publisher = lab
            .map(|l| l.publisher.trim().to_owned())
            .filter(|p| !p.is_empty())
            .or_else(|| {
                self.contributors
                    .iter()
                    .find(|c| c.role == "publisher")
                    .map(|c| c.title.trim().to_owned())
            })
            .unwrap_or_else(|| fallback.publisher.clone());
        let request_fields = lab
            .map_or(&fallback.request_fields, |l| &l.request_fields)
            .clone();
        if access == Access::Terms && terms.trim().is_empty() {
            return Err(
                "access \"terms\" needs the terms (a TERMS.md beside datapackage.json).".to_owned(),
            );
        }
        if access == Access::Approval && request_fields.is_empty() {
            return Err("access \"approval\" needs lab.request_fields.".to_owned());
        }
        check_fields(&request_fields)?;
        let title = if self.title.trim().is_empty() {
            self.name.clone()
        } else {
            self.title.trim().to_owned()
        };
        let summary = first_sentence(&self.description).unwrap_or_else(|| title.clone());
        Ok(DatasetMeta {
            slug,
            title,
            summary,
            industry: industry.as_str().to_owned(),
            tasks,
            license_id: Some(license.name.trim().to_owned()).filter(|id| !id.is_empty()),
            license_name,
            license_url: license.path.clone(),
            languages: lab.map(|l| l.languages.clone()).unwrap_or_default(),
            tags: self.keywords.clone(),
            publisher,
            source_name,
            source_url: source
                .and_then(|s| s.path.clone())
                .or_else(|| self.homepage.clone()),
            citation: lab.and_then(|l| l.citation.clone()),
            access: access.as_str().to_owned(),
            terms,
            request_fields,
        })
    }

    /// The inferred `columns` of resource `index`, with its schema's
    /// descriptions of them.
    pub fn describe(&self, index: usize, columns: Vec<Column>) -> Vec<Column> {
        let fields = self
            .resources
            .get(index)
            .and_then(|r| r.schema.as_ref())
            .map(|s| s.fields.as_slice())
            .unwrap_or_default();
        columns
            .into_iter()
            .map(|mut column| {
                if let Some(field) = fields.iter().find(|f| f.name == column.name) {
                    column.description = field.description.clone();
                }
                column
            })
            .collect()
    }
}

/// A description's first sentence, if it fits a summary (300 characters);
/// a longer description is cut at a word.
fn first_sentence(description: &str) -> Option<String> {
    let text = description.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return None;
    }
    if text.chars().count() <= 300 {
        return Some(text);
    }
    let cut: String = text.chars().take(299).collect();
    let end = cut
        .rfind(". ")
        .map_or_else(|| cut.rfind(' ').unwrap_or(cut.len()), |at| at + 1);
    Some(format!("{}…", cut[..end].trim_end_matches('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(json: &str) -> Package {
        Package::parse(json).expect("a package")
    }

    #[test]
    fn a_plain_frictionless_package_takes_the_importers_choices() {
        let p = package(
            r#"{"name": "gdp_by.country", "title": "GDP", "description": "Gross domestic product.",
                "licenses": [{"name": "ODC-PDDL-1.0", "path": "https://opendatacommons.org/licenses/pddl/"}],
                "sources": [{"title": "World Bank", "path": "https://data.worldbank.org"}],
                "contributors": [{"title": "Open Knowledge", "role": "publisher"}],
                "resources": [{"path": "data/gdp.csv"}]}"#,
        );
        let fallback = Lab {
            industry: "finance".to_owned(),
            publisher: "AI Innovation Lab".to_owned(),
            ..Lab::default()
        };
        let meta = p.meta(&fallback, String::new()).expect("meta");
        assert_eq!(meta.slug, "gdp-by-country");
        assert_eq!(meta.industry, "finance");
        assert_eq!(meta.access, "open");
        assert_eq!(meta.license_id.as_deref(), Some("ODC-PDDL-1.0"));
        assert_eq!(meta.license_name, "ODC-PDDL-1.0");
        assert_eq!(meta.publisher, "Open Knowledge");
        assert_eq!(p.resource_paths().expect("paths"), ["data/gdp.csv"]);
    }

    #[test]
    fn resources_outside_the_package_are_refused() {
        for path in [
            "../etc/passwd",
            "/etc/passwd",
            "https://example.org/a.csv",
            "a//b.csv",
        ] {
            let p = package(&format!(
                r#"{{"name": "x", "licenses": [{{"name": "MIT"}}], "sources": [{{"title": "s"}}],
                    "resources": [{{"path": "{path}"}}]}}"#
            ));
            assert!(p.resource_paths().is_err(), "{path}");
        }
        let p = package(r#"{"name": "x", "resources": [{"path": ["a.csv", "b.csv"]}]}"#);
        assert!(p.resource_paths().is_err());
    }

    #[test]
    fn what_a_package_lacks_is_said() {
        let p = package(r#"{"name": "x", "resources": []}"#);
        let fallback = Lab {
            industry: "retail".to_owned(),
            ..Lab::default()
        };
        assert!(p
            .meta(&fallback, String::new())
            .unwrap_err()
            .contains("no license"));
        let p = package(r#"{"name": "x", "licenses": [{"name": "MIT"}], "resources": []}"#);
        assert!(p
            .meta(&fallback, String::new())
            .unwrap_err()
            .contains("no source"));
        let p = package(
            r#"{"name": "x", "licenses": [{"name": "MIT"}], "sources": [{"title": "s"}], "resources": []}"#,
        );
        assert!(p
            .meta(&Lab::default(), String::new())
            .unwrap_err()
            .contains("industry"));
    }

    #[test]
    fn a_long_description_is_cut_at_a_sentence_for_the_summary() {
        let long = format!("{} Second sentence.", "word ".repeat(70).trim());
        let summary = first_sentence(&format!("First one. {long}")).expect("summary");
        assert!(summary.chars().count() <= 300, "{summary}");
        assert!(summary.starts_with("First one"));
    }
}
