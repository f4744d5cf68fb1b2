//! Importing a Frictionless data package: a `.zip` holding
//! `datapackage.json` (at its root, or in the one folder the archive
//! holds), the files of its resources, and, if it has them, `README.md`
//! (the card) and `TERMS.md`. Each resource's file is streamed out of the
//! archive into the store's incoming folder (never past the upload limit,
//! so a small archive cannot unpack into a huge file), digested and read as
//! its format says; any problem is an error naming the file, and nothing is
//! kept.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::ingest;
use super::package::{Lab, Package};
use super::storage::{Incoming, Store};
use crate::domain::dataset_forms::{DatasetMeta, MAX_CARD};
use crate::server::services::datasets::NewFile;

/// The most `datapackage.json`, `README.md` or `TERMS.md` may hold.
const MAX_TEXT_BYTES: u64 = 1024 * 1024;

/// A package read out of its archive: the dataset, its card, and its files
/// (received, not yet kept).
#[derive(Debug)]
pub struct Imported {
    pub meta: DatasetMeta,
    pub card: String,
    pub files: Vec<(NewFile, Incoming)>,
}

/// Reads the archive at `zip`. `fallback` says what a package without the
/// Lab's `lab` object lacks (its industry, at least); `limit` bounds each
/// file. Blocking.
pub fn read_zip(zip: &Path, store: &Store, fallback: &Lab, limit: u64) -> Result<Imported, String> {
    let file = File::open(zip).map_err(|e| format!("the upload cannot be read ({e})."))?;
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| format!("the file is not a .zip archive ({e})."))?;
    let prefix = package_folder(&archive)?;
    let package = Package::parse(
        &read_text(&mut archive, &format!("{prefix}datapackage.json"))?
            .ok_or("the archive has no datapackage.json.")?,
    )?;
    let card = read_text(&mut archive, &format!("{prefix}README.md"))?.unwrap_or_default();
    let terms = read_text(&mut archive, &format!("{prefix}TERMS.md"))?.unwrap_or_default();
    if card.chars().count() > MAX_CARD || terms.chars().count() > MAX_CARD {
        return Err(format!(
            "README.md and TERMS.md may hold at most {MAX_CARD} characters."
        ));
    }
    let meta = package.meta(fallback, terms)?;
    let mut files: Vec<(NewFile, Incoming)> = Vec::new();
    for (index, path) in package.resource_paths()?.into_iter().enumerate() {
        let name = path.rsplit('/').next().unwrap_or_default().to_owned();
        if files.iter().any(|(f, _)| f.name == name) {
            return Err(format!("two resources are files named {name}."));
        }
        let mut entry = archive
            .by_name(&format!("{prefix}{path}"))
            .map_err(|_| format!("the resource {path} is not in the archive."))?;
        let incoming = store
            .incoming()
            .map_err(|e| format!("{name}: cannot be stored ({e})."))?;
        let (bytes, sha256) =
            copy_out(&mut entry, incoming.path(), limit).map_err(|e| format!("{name}: {e}"))?;
        drop(entry);
        let facts = ingest::inspect_digested(incoming.path(), &name, bytes, sha256)?;
        let columns = facts.columns.clone().map(|c| package.describe(index, c));
        files.push((
            NewFile {
                name,
                facts,
                columns,
            },
            incoming,
        ));
    }
    if files.is_empty() {
        return Err("the package has no resources to import.".to_owned());
    }
    Ok(Imported { meta, card, files })
}

/// Where `datapackage.json` is: `""` at the root, or `"<folder>/"` when
/// the archive holds one folder with it.
fn package_folder(archive: &zip::ZipArchive<File>) -> Result<String, String> {
    let mut found: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .filter_map(|name| name.strip_suffix("datapackage.json").map(str::to_owned))
        .filter(|prefix| {
            prefix.is_empty() || (prefix.ends_with('/') && prefix.matches('/').count() == 1)
        })
        .collect();
    found.sort();
    match found.as_slice() {
        [] => Err(
            "the archive has no datapackage.json at its root (or in its one folder).".to_owned(),
        ),
        [one] => Ok(one.clone()),
        _ => Err(
            "the archive holds several datapackage.json files; import one package at a time."
                .to_owned(),
        ),
    }
}

/// The UTF-8 text of the entry `name`, if the archive has it.
fn read_text(archive: &mut zip::ZipArchive<File>, name: &str) -> Result<Option<String>, String> {
    let Ok(entry) = archive.by_name(name) else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    entry
        .take(MAX_TEXT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{name} cannot be read ({e})."))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_TEXT_BYTES {
        return Err(format!("{name} is larger than 1 MiB."));
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| format!("{name} is not UTF-8 text."))
}

/// Copies `entry` to `target`, at most `limit` bytes: its size and digest.
fn copy_out(entry: &mut impl Read, target: &Path, limit: u64) -> Result<(u64, [u8; 32]), String> {
    let mut out = File::create(target).map_err(|e| format!("cannot be stored ({e})."))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = entry
            .read(&mut buffer)
            .map_err(|e| format!("cannot be unpacked ({e})."))?;
        if n == 0 {
            break;
        }
        total = total.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        if total > limit {
            return Err(format!(
                "unpacks to more than the upload limit of {}.",
                crate::format::bytes(i64::try_from(limit).unwrap_or(i64::MAX))
            ));
        }
        hasher.update(&buffer[..n]);
        out.write_all(&buffer[..n])
            .map_err(|e| format!("cannot be stored ({e})."))?;
    }
    out.sync_all()
        .map_err(|e| format!("cannot be stored ({e})."))?;
    if total == 0 {
        return Err("is empty.".to_owned());
    }
    Ok((total, hasher.finalize().into()))
}
