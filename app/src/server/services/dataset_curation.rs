//! Curation, for Lab staff: datasets created and described, each next
//! version prepared as a draft (its card, changelog line and files),
//! previewed, published; any version unpublished or published again; a
//! dataset featured or not. Every change is audited in its own
//! transaction.
//!
//! A dataset has at most one draft (a unique index holds it). A new draft
//! starts from the newest version's card and files, so a version that
//! changes one file is one upload.

use std::net::IpAddr;

use serde_json::json;
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

use super::audit::{self, Entry};
use super::datasets::{insert_dataset, insert_file, publish, refresh_latest, FileRow, NewFile};
use crate::domain::dataset_access::RequestField;
use crate::domain::dataset_forms::DatasetMeta;
use crate::domain::paging::limit_offset;
use crate::error::AppError;
use crate::server::auth::Caller;
use crate::server::datasets::ingest::hex;
use crate::server::internal;

/// A dataset as the console lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    pub slug: String,
    pub title: String,
    pub industry: String,
    pub access: String,
    pub featured: bool,
    pub latest_version: Option<i32>,
    /// The number of its draft, if it has one.
    pub draft: Option<i32>,
    pub downloads: i64,
    pub updated_at: OffsetDateTime,
    pub total: i64,
}

/// One page of every dataset, published or not, whose title or slug
/// contains `search`, most recently changed first.
pub async fn list(
    pool: &PgPool,
    search: &str,
    page: i64,
    per_page: i64,
) -> Result<Vec<Listed>, sqlx::Error> {
    let (limit, offset) = limit_offset(page, per_page);
    sqlx::query_as(
        "select d.slug, d.title, d.industry, d.access, d.featured, d.latest_version,
                (select v.number from dataset_versions v where v.dataset_id = d.id and v.status = 'draft') as draft,
                d.downloads, d.updated_at, count(*) over () as total
         from datasets d
         where $1::text is null or d.title ilike $1 or d.slug ilike $1
         order by d.updated_at desc, d.slug
         limit $2 offset $3",
    )
    .bind(crate::server::like::contains_pattern(Some(search)))
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}

/// A dataset as its console shows it: everything it says about itself.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Curated {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub industry: String,
    pub tasks: Vec<String>,
    pub license_id: Option<String>,
    pub license_name: String,
    pub license_url: Option<String>,
    pub languages: Vec<String>,
    pub tags: Vec<String>,
    pub publisher: String,
    pub source_name: String,
    pub source_url: Option<String>,
    pub citation: Option<String>,
    pub access: String,
    pub terms: String,
    pub request_fields: Json<Vec<RequestField>>,
    pub featured: bool,
    pub latest_version: Option<i32>,
}

/// One version, as the console lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CuratedVersion {
    pub number: i32,
    pub status: String,
    pub card: String,
    pub changelog: String,
    pub published_at: Option<OffsetDateTime>,
    pub downloads: i64,
    pub files: i64,
}

/// A dataset's console: the dataset, its versions (newest first) and its
/// draft's files.
#[derive(Debug, Clone)]
pub struct Console {
    pub dataset: Curated,
    pub versions: Vec<CuratedVersion>,
    pub draft_files: Vec<FileRow>,
}

/// The console of dataset `slug`, published or not.
pub async fn console(pool: &PgPool, slug: &str) -> Result<Option<Console>, sqlx::Error> {
    let Some(dataset): Option<Curated> = sqlx::query_as(
        "select id, slug, title, summary, industry, tasks, license_id, license_name, license_url, languages, tags,
                publisher, source_name, source_url, citation, access, terms, request_fields, featured, latest_version
         from datasets where slug = $1",
    )
    .bind(slug)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let versions: Vec<CuratedVersion> = sqlx::query_as(
        "select v.number, v.status, v.card, v.changelog, v.published_at, v.downloads,
                (select count(*) from dataset_files f where f.version_id = v.id) as files
         from dataset_versions v where v.dataset_id = $1 order by v.number desc",
    )
    .bind(dataset.id)
    .fetch_all(pool)
    .await?;
    let draft_files: Vec<FileRow> = sqlx::query_as(
        "select f.name, f.format, f.bytes, f.sha256, f.row_count, f.columns
         from dataset_files f join dataset_versions v on v.id = f.version_id
         where v.dataset_id = $1 and v.status = 'draft' order by f.name",
    )
    .bind(dataset.id)
    .fetch_all(pool)
    .await?;
    Ok(Some(Console {
        dataset,
        versions,
        draft_files,
    }))
}

fn not_found() -> AppError {
    AppError::NotFound("There is no dataset at this address.".to_owned())
}

/// What the audit log keeps of a dataset's description.
fn described(meta: &DatasetMeta) -> serde_json::Value {
    json!({
        "title": meta.title,
        "summary": meta.summary,
        "industry": meta.industry,
        "tasks": meta.tasks,
        "license_id": meta.license_id,
        "license_name": meta.license_name,
        "license_url": meta.license_url,
        "languages": meta.languages,
        "tags": meta.tags,
        "publisher": meta.publisher,
        "source_name": meta.source_name,
        "source_url": meta.source_url,
        "citation": meta.citation,
        "access": meta.access,
        "terms": meta.terms,
        "request_fields": meta.request_fields,
    })
}

/// Who acts, for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub caller: &'a Caller,
    pub addr: Option<IpAddr>,
}

impl Actor<'_> {
    async fn record(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        action: &str,
        slug: &str,
        before: Option<serde_json::Value>,
        after: serde_json::Value,
    ) -> Result<(), AppError> {
        audit::record(
            tx,
            Entry {
                actor_id: Some(self.caller.user_id),
                action,
                target_type: "dataset",
                target_id: slug.to_owned(),
                before,
                after: Some(after),
                client_addr: self.addr,
            },
        )
        .await
        .map_err(internal)
    }
}

/// Creates the dataset `meta` describes, with a draft version 1 holding
/// `card` and `files` (stored already); not in the catalog until that is
/// published. A taken slug is an error on `slug_field`. Audited as
/// `action` (`dataset.create`, `dataset.import`).
pub async fn create(
    pool: &PgPool,
    actor: Actor<'_>,
    meta: &DatasetMeta,
    card: &str,
    files: &[NewFile],
    action: &str,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let id = Uuid::now_v7();
    let inserted = insert_dataset(&mut tx, id, meta, card, false)
        .await
        .map_err(internal)?;
    if !inserted {
        return Err(AppError::field(
            if action == "dataset.import" {
                "file"
            } else {
                "slug"
            },
            format!(
                "Another dataset has the slug {} already; choose another.",
                meta.slug
            ),
        ));
    }
    let version = Uuid::now_v7();
    sqlx::query(
        "insert into dataset_versions (id, dataset_id, number, card) values ($1, $2, 1, $3)",
    )
    .bind(version)
    .bind(id)
    .bind(card)
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    for file in files {
        insert_file(&mut tx, version, file)
            .await
            .map_err(internal)?;
    }
    let mut after = described(meta);
    after["files"] = json!(files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>());
    actor
        .record(&mut tx, action, &meta.slug, None, after)
        .await?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// Saves what dataset `slug` says about itself (its slug stays: it is in
/// every link to it). Terms that change are asked for again (a trigger
/// numbers them).
pub async fn update(
    pool: &PgPool,
    actor: Actor<'_>,
    slug: &str,
    meta: &DatasetMeta,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let before: Option<serde_json::Value> = sqlx::query_scalar(
        "select to_jsonb(d) - array['id', 'search', 'search_words', 'card', 'created_at', 'updated_at']
         from datasets d where slug = $1 for update",
    )
    .bind(slug)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let Some(before) = before else {
        return Err(not_found());
    };
    sqlx::query(
        "update datasets set title = $2, summary = $3, industry = $4, tasks = $5, license_id = $6,
                license_name = $7, license_url = $8, languages = $9, tags = $10, publisher = $11,
                source_name = $12, source_url = $13, citation = $14, access = $15, terms = $16,
                request_fields = $17
         where slug = $1",
    )
    .bind(slug)
    .bind(&meta.title)
    .bind(&meta.summary)
    .bind(&meta.industry)
    .bind(&meta.tasks)
    .bind(&meta.license_id)
    .bind(&meta.license_name)
    .bind(&meta.license_url)
    .bind(&meta.languages)
    .bind(&meta.tags)
    .bind(&meta.publisher)
    .bind(&meta.source_name)
    .bind(&meta.source_url)
    .bind(&meta.citation)
    .bind(&meta.access)
    .bind(&meta.terms)
    .bind(Json(&meta.request_fields))
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    actor
        .record(
            &mut tx,
            "dataset.update",
            slug,
            Some(before),
            described(meta),
        )
        .await?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// Features dataset `slug` in the catalog (first among equals when nothing
/// is searched), or stops.
pub async fn set_featured(
    pool: &PgPool,
    actor: Actor<'_>,
    slug: &str,
    featured: bool,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let before: Option<bool> =
        sqlx::query_scalar("select featured from datasets where slug = $1 for update")
            .bind(slug)
            .fetch_optional(&mut *tx)
            .await
            .map_err(internal)?;
    let Some(before) = before else {
        return Err(not_found());
    };
    sqlx::query("update datasets set featured = $2 where slug = $1")
        .bind(slug)
        .bind(featured)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    actor
        .record(
            &mut tx,
            if featured {
                "dataset.feature"
            } else {
                "dataset.unfeature"
            },
            slug,
            Some(json!({ "featured": before })),
            json!({ "featured": featured }),
        )
        .await?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// Dataset `slug`, locked for a change of its versions: its id.
async fn lock(tx: &mut Transaction<'_, Postgres>, slug: &str) -> Result<Uuid, AppError> {
    sqlx::query_scalar("select id from datasets where slug = $1 for update")
        .bind(slug)
        .fetch_optional(&mut **tx)
        .await
        .map_err(internal)?
        .ok_or_else(not_found)
}

/// The draft of dataset `id`: its id and number.
async fn draft_of(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
) -> Result<Option<(Uuid, i32)>, AppError> {
    sqlx::query_as(
        "select id, number from dataset_versions where dataset_id = $1 and status = 'draft'",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(internal)
}

fn no_draft() -> AppError {
    AppError::Conflict(
        "This dataset has no draft version: start one first (it begins as a copy of the latest version)."
            .to_owned(),
    )
}

/// Starts the next version of dataset `slug` as a draft holding the card
/// and files of its newest version. Returns its number.
pub async fn start_draft(pool: &PgPool, actor: Actor<'_>, slug: &str) -> Result<i32, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let id = lock(&mut tx, slug).await?;
    if let Some((_, number)) = draft_of(&mut tx, id).await? {
        return Err(AppError::Conflict(format!(
            "Version {number} is a draft already: finish it first."
        )));
    }
    let newest: Option<(Uuid, i32, String)> = sqlx::query_as(
        "select id, number, card from dataset_versions where dataset_id = $1 order by number desc limit 1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let number = newest.as_ref().map_or(1, |(_, n, _)| n + 1);
    let draft = Uuid::now_v7();
    sqlx::query(
        "insert into dataset_versions (id, dataset_id, number, card) values ($1, $2, $3, $4)",
    )
    .bind(draft)
    .bind(id)
    .bind(number)
    .bind(newest.as_ref().map_or("", |(_, _, card)| card.as_str()))
    .execute(&mut *tx)
    .await
    .map_err(internal)?;
    if let Some((from, ..)) = &newest {
        sqlx::query(
            "insert into dataset_files (id, version_id, name, format, bytes, sha256, row_count, columns, delimiter,
                                        encoding)
             select gen_random_uuid(), $2, f.name, f.format, f.bytes, f.sha256, f.row_count, f.columns, f.delimiter,
                    f.encoding
             from dataset_files f where f.version_id = $1",
        )
        .bind(from)
        .bind(draft)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    }
    actor
        .record(
            &mut tx,
            "dataset_version.create",
            slug,
            None,
            json!({ "version": number }),
        )
        .await?;
    tx.commit().await.map_err(internal)?;
    Ok(number)
}

/// Saves the card and changelog line of dataset `slug`'s draft.
pub async fn save_draft(
    pool: &PgPool,
    actor: Actor<'_>,
    slug: &str,
    card: &str,
    changelog: &str,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let id = lock(&mut tx, slug).await?;
    let (draft, number) = draft_of(&mut tx, id).await?.ok_or_else(no_draft)?;
    sqlx::query("update dataset_versions set card = $2, changelog = $3 where id = $1")
        .bind(draft)
        .bind(card)
        .bind(changelog)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    // Until a version is published, the dataset's card is the draft's.
    sqlx::query("update datasets set card = $2 where id = $1 and latest_version is null")
        .bind(id)
        .bind(card)
        .execute(&mut *tx)
        .await
        .map_err(internal)?;
    actor
        .record(
            &mut tx,
            "dataset_version.edit",
            slug,
            None,
            json!({ "version": number, "changelog": changelog, "card_characters": card.chars().count() }),
        )
        .await?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// The number of dataset `slug`'s draft: where an upload goes.
pub async fn draft_number(pool: &PgPool, slug: &str) -> Result<i32, AppError> {
    let found: Option<(Option<i32>,)> = sqlx::query_as(
        "select (select v.number from dataset_versions v where v.dataset_id = d.id and v.status = 'draft')
         from datasets d where d.slug = $1",
    )
    .bind(slug)
    .fetch_optional(pool)
    .await
    .map_err(internal)?;
    found.ok_or_else(not_found)?.0.ok_or_else(no_draft)
}

/// Adds `file` (stored already) to dataset `slug`'s draft, in place of a
/// file of the same name. Returns the draft's number.
pub async fn add_file(
    pool: &PgPool,
    actor: Actor<'_>,
    slug: &str,
    file: &NewFile,
) -> Result<i32, AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let id = lock(&mut tx, slug).await?;
    let (draft, number) = draft_of(&mut tx, id).await?.ok_or_else(no_draft)?;
    let replaced = sqlx::query("delete from dataset_files where version_id = $1 and name = $2")
        .bind(draft)
        .bind(&file.name)
        .execute(&mut *tx)
        .await
        .map_err(internal)?
        .rows_affected()
        > 0;
    insert_file(&mut tx, draft, file).await.map_err(internal)?;
    actor
        .record(
            &mut tx,
            "dataset_file.add",
            slug,
            None,
            json!({
                "version": number,
                "name": file.name,
                "bytes": file.facts.bytes,
                "sha256": hex(&file.facts.sha256),
                "replaced": replaced,
            }),
        )
        .await?;
    tx.commit().await.map_err(internal)?;
    Ok(number)
}

/// Removes the file `name` from dataset `slug`'s draft.
pub async fn remove_file(
    pool: &PgPool,
    actor: Actor<'_>,
    slug: &str,
    name: &str,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let id = lock(&mut tx, slug).await?;
    let (draft, number) = draft_of(&mut tx, id).await?.ok_or_else(no_draft)?;
    let removed: Option<Vec<u8>> = sqlx::query_scalar(
        "delete from dataset_files where version_id = $1 and name = $2 returning sha256",
    )
    .bind(draft)
    .bind(name)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let Some(sha256) = removed else {
        return Err(AppError::NotFound(
            "The draft has no file with this name.".to_owned(),
        ));
    };
    actor
        .record(
            &mut tx,
            "dataset_file.remove",
            slug,
            Some(json!({ "version": number, "name": name, "sha256": hex(&sha256) })),
            json!({ "version": number }),
        )
        .await?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// Publishes version `number` of dataset `slug`: its draft (which needs a
/// file and a changelog line), or a version unpublished before. It is
/// frozen from then on, and the catalog shows the newest published
/// version.
pub async fn publish_version(
    pool: &PgPool,
    actor: Actor<'_>,
    slug: &str,
    number: i32,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let id = lock(&mut tx, slug).await?;
    let version: Option<(Uuid, String, String, i64)> = sqlx::query_as(
        "select v.id, v.status, v.changelog, (select count(*) from dataset_files f where f.version_id = v.id)
         from dataset_versions v where v.dataset_id = $1 and v.number = $2",
    )
    .bind(id)
    .bind(number)
    .fetch_optional(&mut *tx)
    .await
    .map_err(internal)?;
    let Some((version, status, changelog, files)) = version else {
        return Err(AppError::NotFound(format!(
            "This dataset has no version {number}."
        )));
    };
    if status == "published" {
        return Err(AppError::Conflict(format!(
            "Version {number} is published already."
        )));
    }
    if status == "draft" {
        if changelog.trim().is_empty() {
            return Err(AppError::field(
                "changelog",
                "Write the changelog line (what this version changes) and save the draft before publishing.",
            ));
        }
        if files == 0 {
            return Err(AppError::Conflict(
                "Upload at least one file before publishing.".to_owned(),
            ));
        }
    }
    publish(&mut tx, id, version).await.map_err(internal)?;
    actor
        .record(
            &mut tx,
            "dataset_version.publish",
            slug,
            Some(json!({ "version": number, "status": status })),
            json!({ "version": number, "status": "published" }),
        )
        .await?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}

/// Unpublishes version `number` of dataset `slug`: its page, files and
/// viewer are gone until it is published again; the catalog shows the
/// newest version still published (or, with none, not the dataset).
pub async fn unpublish_version(
    pool: &PgPool,
    actor: Actor<'_>,
    slug: &str,
    number: i32,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await.map_err(internal)?;
    let id = lock(&mut tx, slug).await?;
    let changed = sqlx::query(
        "update dataset_versions set status = 'unpublished'
         where dataset_id = $1 and number = $2 and status = 'published'",
    )
    .bind(id)
    .bind(number)
    .execute(&mut *tx)
    .await
    .map_err(internal)?
    .rows_affected();
    if changed == 0 {
        return Err(AppError::Conflict(format!(
            "Version {number} is not published."
        )));
    }
    refresh_latest(&mut tx, id).await.map_err(internal)?;
    actor
        .record(
            &mut tx,
            "dataset_version.unpublish",
            slug,
            Some(json!({ "version": number, "status": "published" })),
            json!({ "version": number, "status": "unpublished" }),
        )
        .await?;
    tx.commit().await.map_err(internal)?;
    Ok(())
}
