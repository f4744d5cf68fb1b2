//! The starter catalog: real open datasets, each a folder holding a
//! Frictionless `datapackage.json` (title, description, licenses, sources,
//! keywords, resources with their column descriptions, and a `lab` object
//! with what the catalog adds: industry, tasks, access, publisher,
//! citation, the request form of an approval dataset), its card as
//! `README.md`, the terms of a terms dataset as `TERMS.md`, and its data
//! files. Loading reads
//! each file, stores it, publishes the dataset as version 1 and loads its
//! tabular files into the viewer; a dataset whose slug exists already is
//! left as it is.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sqlx::PgPool;

use super::ingest::{self, Column};
use super::storage::Store;
use super::viewer;
use crate::domain::dataset_access::{check_fields, RequestField};
use crate::domain::datasets::{parse_slug, Access, DatasetIndustry, TASKS};
use crate::server::services::datasets::{self, NewDataset, NewFile};

#[derive(Debug, Deserialize)]
struct Package {
    name: String,
    title: String,
    description: String,
    #[serde(default)]
    licenses: Vec<License>,
    #[serde(default)]
    sources: Vec<Source>,
    #[serde(default)]
    keywords: Vec<String>,
    resources: Vec<Resource>,
    lab: Lab,
}

#[derive(Debug, Deserialize)]
struct License {
    /// The SPDX id; empty when the source publishes none.
    #[serde(default)]
    name: String,
    title: String,
    #[serde(default)]
    path: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Source {
    title: String,
    #[serde(default)]
    path: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Resource {
    path: String,
    #[serde(default)]
    schema: Option<Schema>,
}

#[derive(Debug, Deserialize)]
struct Schema {
    fields: Vec<Field>,
}

#[derive(Debug, Deserialize)]
struct Field {
    name: String,
    #[serde(default)]
    description: String,
}

#[derive(Debug, Deserialize)]
struct Lab {
    industry: String,
    #[serde(default)]
    tasks: Vec<String>,
    access: String,
    publisher: String,
    #[serde(default)]
    citation: Option<String>,
    #[serde(default)]
    featured: bool,
    #[serde(default)]
    languages: Vec<String>,
    /// Access `approval`: the request form's fields.
    #[serde(default)]
    request_fields: Vec<RequestField>,
}

/// Loads every dataset folder of `dir`; returns how many were added.
pub async fn load(pool: &PgPool, store: &Store, dir: &Path) -> anyhow::Result<usize> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("reading the seed folder {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.join("datapackage.json").is_file())
        .collect();
    folders.sort();
    let mut added = 0;
    for folder in folders {
        let (dataset, files) = read(store, &folder)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", folder.display()))?;
        if datasets::publish_new(
            pool,
            &dataset,
            &files,
            "First release in the Lab's catalog.",
        )
        .await?
        .is_some()
        {
            added += 1;
            for file in &files {
                viewer::build(pool, store, &viewer::Tabular::of(file))
                    .await
                    .map_err(|e| anyhow::anyhow!("{}: {}: {e}", folder.display(), file.name))?;
            }
        }
    }
    Ok(added)
}

/// A seed folder as a dataset and its stored files.
async fn read(store: &Store, folder: &Path) -> anyhow::Result<(NewDataset, Vec<NewFile>)> {
    let package: Package =
        serde_json::from_str(&std::fs::read_to_string(folder.join("datapackage.json"))?)?;
    let slug = parse_slug(&package.name).map_err(anyhow::Error::msg)?;
    let industry = DatasetIndustry::parse(&package.lab.industry)
        .ok_or_else(|| anyhow::anyhow!("unknown industry {}", package.lab.industry))?;
    let access = Access::parse(&package.lab.access)
        .ok_or_else(|| anyhow::anyhow!("unknown access level {}", package.lab.access))?;
    if let Some(task) = package
        .lab
        .tasks
        .iter()
        .find(|t| !TASKS.iter().any(|(known, _)| known == t))
    {
        anyhow::bail!("unknown task {task}");
    }
    let license = package
        .licenses
        .first()
        .ok_or_else(|| anyhow::anyhow!("no license (write \"unknown — see source\")"))?;
    let source = package
        .sources
        .first()
        .ok_or_else(|| anyhow::anyhow!("no source"))?;
    let card = std::fs::read_to_string(folder.join("README.md")).unwrap_or_default();
    // Access `terms`: the terms are the folder's TERMS.md.
    let terms = std::fs::read_to_string(folder.join("TERMS.md")).unwrap_or_default();
    if access == Access::Terms && terms.trim().is_empty() {
        anyhow::bail!("access \"terms\" needs a TERMS.md");
    }
    if access == Access::Approval && package.lab.request_fields.is_empty() {
        anyhow::bail!("access \"approval\" needs lab.request_fields");
    }
    check_fields(&package.lab.request_fields).map_err(anyhow::Error::msg)?;
    let mut files = Vec::new();
    for resource in &package.resources {
        let path = folder.join(&resource.path);
        let name = resource.path.clone();
        let facts = {
            let path = path.clone();
            let name = name.clone();
            tokio::task::spawn_blocking(move || ingest::inspect(&path, &name))
                .await?
                .map_err(anyhow::Error::msg)?
        };
        {
            let store = store.clone();
            let sha = facts.sha256;
            tokio::task::spawn_blocking(move || store.put(&path, &sha)).await??;
        }
        let columns = facts
            .columns
            .clone()
            .map(|columns| describe(columns, resource));
        files.push(NewFile {
            name,
            facts,
            columns,
        });
    }
    let dataset = NewDataset {
        slug,
        title: package.title,
        summary: package.description,
        industry: industry.as_str().to_owned(),
        tasks: package.lab.tasks,
        license_id: Some(license.name.clone()).filter(|id| !id.is_empty()),
        license_name: license.title.clone(),
        license_url: license.path.clone(),
        languages: package.lab.languages,
        tags: package.keywords,
        publisher: package.lab.publisher,
        source_name: source.title.clone(),
        source_url: source.path.clone(),
        citation: package.lab.citation,
        access: access.as_str().to_owned(),
        featured: package.lab.featured,
        card,
        terms,
        request_fields: package.lab.request_fields,
    };
    Ok((dataset, files))
}

/// The inferred columns with the package's descriptions of them.
fn describe(columns: Vec<Column>, resource: &Resource) -> Vec<Column> {
    columns
        .into_iter()
        .map(|mut column| {
            if let Some(field) = resource
                .schema
                .iter()
                .flat_map(|s| s.fields.iter())
                .find(|f| f.name == column.name)
            {
                column.description = field.description.clone();
            }
            column
        })
        .collect()
}
