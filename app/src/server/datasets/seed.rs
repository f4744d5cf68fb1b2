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

use sqlx::PgPool;

use super::ingest;
use super::package::{Lab, Package};
use super::storage::Store;
use super::viewer;
use crate::server::services::datasets::{self, NewDataset, NewFile};

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
    let package = Package::parse(&std::fs::read_to_string(folder.join("datapackage.json"))?)
        .map_err(anyhow::Error::msg)?;
    if package.lab.is_none() {
        anyhow::bail!("a starter dataset's package needs its \"lab\" object");
    }
    let card = std::fs::read_to_string(folder.join("README.md")).unwrap_or_default();
    // Access `terms`: the terms are the folder's TERMS.md.
    let terms = std::fs::read_to_string(folder.join("TERMS.md")).unwrap_or_default();
    let meta = package
        .meta(&Lab::default(), terms)
        .map_err(anyhow::Error::msg)?;
    let mut files = Vec::new();
    for (index, name) in package
        .resource_paths()
        .map_err(anyhow::Error::msg)?
        .into_iter()
        .enumerate()
    {
        let path = folder.join(&name);
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
        store.share(&facts.sha256).await?;
        let columns = facts
            .columns
            .clone()
            .map(|columns| package.describe(index, columns));
        files.push(NewFile {
            name,
            facts,
            columns,
        });
    }
    let dataset = NewDataset {
        meta,
        featured: package.lab.as_ref().is_some_and(|l| l.featured),
        card,
    };
    Ok((dataset, files))
}
