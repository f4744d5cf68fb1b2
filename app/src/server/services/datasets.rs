//! The dataset catalog's SQL: publishing a dataset with its files, the
//! catalog search with its facet counts, one dataset with its versions and
//! files, and download counts.
//!
//! The catalog reads only `datasets` (the latest published version's facts
//! are kept on its row), with the full-text index for words: a search
//! matches a dataset whose text has its words, or, when no dataset has
//! them, the same search with each word the catalog does not know replaced
//! by its closest word (`pg_trgm` over `dataset_words`, the catalog's
//! vocabulary). Browsed with no search and no filter, the catalog's counts
//! are `dataset_facet_counts`' (kept by a trigger) and a page is read from
//! the index of its order; filtered without words, they are summed over
//! `dataset_facet_profiles` (kept by the same trigger).

use sqlx::types::Json;
use sqlx::{PgPool, Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::dataset_forms::DatasetMeta;
use crate::domain::datasets::{size_category, CatalogQuery, Sort};
use crate::domain::paging::limit_offset;
use crate::server::datasets::ingest::{Column, FileFacts};

/// A dataset as a publisher describes it, with the card of its first
/// version.
#[derive(Debug, Clone, Default)]
pub struct NewDataset {
    pub meta: DatasetMeta,
    pub featured: bool,
    pub card: String,
}

/// A file of a new version: its name, what ingestion found and the
/// publisher's column descriptions.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub name: String,
    pub facts: FileFacts,
    pub columns: Option<Vec<Column>>,
}

/// Creates `dataset` with version 1 holding `files`, published now.
/// Returns `None` when its slug is taken (nothing is written).
pub async fn publish_new(
    pool: &PgPool,
    dataset: &NewDataset,
    files: &[NewFile],
    changelog: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let id = Uuid::now_v7();
    let inserted =
        insert_dataset(&mut tx, id, &dataset.meta, &dataset.card, dataset.featured).await?;
    if !inserted {
        return Ok(None);
    }
    let version = Uuid::now_v7();
    sqlx::query(
        "insert into dataset_versions (id, dataset_id, number, card, changelog) values ($1, $2, 1, $3, $4)",
    )
    .bind(version)
    .bind(id)
    .bind(&dataset.card)
    .bind(changelog)
    .execute(&mut *tx)
    .await?;
    for file in files {
        insert_file(&mut tx, version, file).await?;
    }
    publish(&mut tx, id, version).await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Inserts the dataset `meta` describes as `id`, with `card`; false
/// (nothing written) when its slug is taken.
pub(crate) async fn insert_dataset(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    meta: &DatasetMeta,
    card: &str,
    featured: bool,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "insert into datasets (id, slug, title, summary, industry, tasks, license_id, license_name, license_url,
                               languages, tags, publisher, source_name, source_url, citation, access, featured, card,
                               terms, request_fields)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
         on conflict (slug) do nothing",
    )
    .bind(id)
    .bind(&meta.slug)
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
    .bind(featured)
    .bind(card)
    .bind(&meta.terms)
    .bind(Json(&meta.request_fields))
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() > 0)
}

pub(crate) async fn insert_file(
    tx: &mut Transaction<'_, Postgres>,
    version: Uuid,
    file: &NewFile,
) -> Result<(), sqlx::Error> {
    let facts = &file.facts;
    sqlx::query(
        "insert into dataset_files (id, version_id, name, format, bytes, sha256, row_count, columns, delimiter, encoding)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(Uuid::now_v7())
    .bind(version)
    .bind(&file.name)
    .bind(facts.format.as_str())
    .bind(i64::try_from(facts.bytes).unwrap_or(i64::MAX))
    .bind(facts.sha256.as_slice())
    .bind(facts.rows.map(|r| i64::try_from(r).unwrap_or(i64::MAX)))
    .bind(file.columns.as_ref().or(facts.columns.as_ref()).map(Json))
    .bind(facts.delimiter.map(|d| char::from(d).to_string()))
    .bind(facts.encoding)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Publishes `version` of `dataset` (a draft, or a version unpublished
/// before): frozen from now on, and the dataset's catalog facts become
/// those of its newest published version.
pub(crate) async fn publish(
    tx: &mut Transaction<'_, Postgres>,
    dataset: Uuid,
    version: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update dataset_versions set status = 'published', published_at = coalesce(published_at, now())
         where id = $1",
    )
    .bind(version)
    .execute(&mut **tx)
    .await?;
    refresh_latest(tx, dataset).await
}

/// Makes the catalog facts of `dataset` (its latest version, rows, size,
/// formats and card) those of its newest published version; with none, it
/// leaves the catalog.
pub(crate) async fn refresh_latest(
    tx: &mut Transaction<'_, Postgres>,
    dataset: Uuid,
) -> Result<(), sqlx::Error> {
    let latest: Option<(Uuid, i32, Option<i64>, Vec<String>)> = sqlx::query_as(
        "select v.id, v.number, sum(f.row_count)::bigint,
                coalesce(array_agg(distinct f.format) filter (where f.format is not null), '{}')
         from dataset_versions v left join dataset_files f on f.version_id = v.id
         where v.dataset_id = $1 and v.status = 'published'
         group by v.id, v.number order by v.number desc limit 1",
    )
    .bind(dataset)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((version, number, rows, formats)) = latest else {
        sqlx::query(
            "update datasets set latest_version = null, row_count = null, size_category = null, formats = '{}'
             where id = $1",
        )
        .bind(dataset)
        .execute(&mut **tx)
        .await?;
        return Ok(());
    };
    let size = rows.map(|r| size_category(u64::try_from(r).unwrap_or(0)));
    sqlx::query(
        "update datasets d set latest_version = $2, row_count = $3, size_category = $4, formats = $5,
                card = v.card, published_at = coalesce(d.published_at, now())
         from dataset_versions v where d.id = $1 and v.id = $6",
    )
    .bind(dataset)
    .bind(number)
    .bind(rows)
    .bind(size)
    .bind(&formats)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A dataset as the catalog lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub industry: String,
    pub tasks: Vec<String>,
    pub license_id: Option<String>,
    pub license_name: String,
    pub access: String,
    pub formats: Vec<String>,
    pub size_category: Option<String>,
    pub row_count: Option<i64>,
    pub downloads: i64,
    pub featured: bool,
    pub latest_version: Option<i32>,
    pub published_at: Option<OffsetDateTime>,
    pub total: i64,
}

/// How many listed datasets have one value of one facet.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FacetCount {
    pub facet: String,
    pub value: String,
    pub count: i64,
}

/// One page of the catalog for `query`, the total, and the facet counts:
/// for each facet, how many datasets match the search and every other
/// facet's choice with each of its values (so another value can be chosen
/// knowing what it gives).
pub async fn catalog(
    pool: &PgPool,
    query: &CatalogQuery,
    per_page: i64,
) -> Result<(Vec<Listed>, i64, Vec<FacetCount>), sqlx::Error> {
    let (limit, offset) = limit_offset(query.page, per_page);
    if query.q.is_empty() && !filtered(query) {
        return whole_catalog(pool, query, limit, offset).await;
    }
    let mut tx = pool.begin().await?;
    // Each search is planned for its own values, in this process: its
    // statements read a few thousand rows at most, less than starting
    // parallel workers costs.
    sqlx::query(
        "select set_config('plan_cache_mode', 'force_custom_plan', true),
                set_config('max_parallel_workers_per_gather', '0', true)",
    )
    .execute(&mut *tx)
    .await?;
    let mut found = search(&mut tx, query, &query.q, limit, offset).await?;
    if found.1 == 0 && !query.q.is_empty() {
        // No dataset has these words: try them again with each word
        // unknown to the catalog replaced by the closest word it has.
        let corrected: Option<String> = sqlx::query_scalar(
            "select string_agg(
                        case when t.word ~ '^[[:alnum:]]{3,}$' and not exists (select 1 from dataset_words w where w.word = t.word)
                             then coalesce((select w.word from dataset_words w where w.word % t.word
                                            order by similarity(w.word, t.word) desc, w.word limit 1), t.word)
                             else t.word end,
                        ' ' order by t.n)
             from regexp_split_to_table(lower(trim($1)), '\\s+') with ordinality as t(word, n)",
        )
        .bind(&query.q)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(corrected) = corrected.filter(|c| *c != query.q.to_lowercase()) {
            found = search(&mut tx, query, &corrected, limit, offset).await?;
        }
    }
    tx.commit().await?;
    Ok(found)
}

/// Whether `query` chooses a value of any facet.
fn filtered(query: &CatalogQuery) -> bool {
    query.industry.is_some()
        || query.task.is_some()
        || query.license.is_some()
        || query.format.is_some()
        || query.size.is_some()
        || query.access.is_some()
}

/// The catalog with no search and no filter: its facet counts and total
/// as `dataset_facet_counts` keeps them, and a page read from the index of
/// its order.
async fn whole_catalog(
    pool: &PgPool,
    query: &CatalogQuery,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Listed>, i64, Vec<FacetCount>), sqlx::Error> {
    let facets: Vec<FacetCount> = sqlx::query_as(
        "select facet, value, count from dataset_facet_counts order by facet, count desc, value",
    )
    .fetch_all(pool)
    .await?;
    let total = facets
        .iter()
        .filter(|f| f.facet == "access")
        .map(|f| f.count)
        .sum();
    let rows: Vec<Listed> = match query.sort {
        Sort::Relevance => {
            sqlx::query_as(
                "select slug, title, summary, industry, tasks, license_id, license_name, access, formats,
                        size_category, row_count, downloads, featured, latest_version, published_at,
                        $3::bigint as total
                 from datasets where latest_version is not null
                 order by featured desc, published_at desc, slug limit $1 offset $2",
            )
            .bind(limit)
            .bind(offset)
            .bind(total)
            .fetch_all(pool)
            .await?
        }
        Sort::Newest => {
            sqlx::query_as(
                "select slug, title, summary, industry, tasks, license_id, license_name, access, formats,
                        size_category, row_count, downloads, featured, latest_version, published_at,
                        $3::bigint as total
                 from datasets where latest_version is not null
                 order by published_at desc, slug limit $1 offset $2",
            )
            .bind(limit)
            .bind(offset)
            .bind(total)
            .fetch_all(pool)
            .await?
        }
        Sort::Downloads => {
            sqlx::query_as(
                "select slug, title, summary, industry, tasks, license_id, license_name, access, formats,
                        size_category, row_count, downloads, featured, latest_version, published_at,
                        $3::bigint as total
                 from datasets where latest_version is not null
                 order by downloads desc, published_at desc, slug limit $1 offset $2",
            )
            .bind(limit)
            .bind(offset)
            .bind(total)
            .fetch_all(pool)
            .await?
        }
    };
    Ok((rows, total, facets))
}

/// [`catalog`] for the words `q` (the query's own, or corrected).
async fn search(
    tx: &mut Transaction<'_, Postgres>,
    query: &CatalogQuery,
    q: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Listed>, i64, Vec<FacetCount>), sqlx::Error> {
    let industry = query.industry.map(|i| i.as_str());
    let format = query.format.map(|f| f.as_str());
    let access = query.access.map(|a| a.as_str());
    let rows: Vec<Listed> = sqlx::query_as(
        "select slug, title, summary, industry, tasks, license_id, license_name, access, formats, size_category,
                row_count, downloads, featured, latest_version, published_at, count(*) over () as total
         from (
             select d.slug, d.title, d.summary, d.industry, d.tasks, d.license_id, d.license_name, d.access,
                    d.formats, d.size_category, d.row_count, d.downloads, d.featured, d.latest_version,
                    d.published_at,
                    case when $1 = '' then 0
                         else ts_rank_cd(d.search, websearch_to_tsquery('english', $1))
                              + word_similarity(lower($1), d.search_words) end as rank
             from datasets d
             where d.latest_version is not null
               and ($1 = '' or d.search @@ websearch_to_tsquery('english', $1))
               and ($2::text is null or d.industry = $2)
               and ($3::text is null or $3 = any (d.tasks))
               and ($4::text is null or d.license_id = $4)
               and ($5::text is null or $5 = any (d.formats))
               and ($6::text is null or d.size_category = $6)
               and ($7::text is null or d.access = $7)
         ) found
         order by case when $8 = 'relevance' and $1 = '' then featured end desc nulls last,
                  case when $8 = 'relevance' then rank end desc nulls last,
                  case when $8 = 'downloads' then downloads end desc nulls last,
                  published_at desc, slug
         limit $9 offset $10",
    )
    .bind(q)
    .bind(industry)
    .bind(&query.task)
    .bind(&query.license)
    .bind(format)
    .bind(&query.size)
    .bind(access)
    .bind(query.sort.as_str())
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut **tx)
    .await?;
    let total = match rows.first() {
        Some(row) => row.total,
        None => count(tx, query, q).await?,
    };
    let facets = if q.is_empty() {
        filtered_facets(tx, query).await?
    } else {
        found_facets(tx, query, q).await?
    };
    Ok((rows, total, facets))
}

/// The facet counts of the datasets with the words `q` (some): each facet
/// counted over the found datasets that match every other facet's choice.
async fn found_facets(
    tx: &mut Transaction<'_, Postgres>,
    query: &CatalogQuery,
    q: &str,
) -> Result<Vec<FacetCount>, sqlx::Error> {
    let industry = query.industry.map(|i| i.as_str());
    let format = query.format.map(|f| f.as_str());
    let access = query.access.map(|a| a.as_str());
    sqlx::query_as(
        "with found as (
             select d.industry, d.tasks, d.license_id, d.formats, d.size_category, d.access,
                    ($2::text is null or d.industry = $2) as by_industry,
                    ($3::text is null or $3 = any (d.tasks)) as by_task,
                    ($4::text is null or d.license_id = $4) as by_license,
                    ($5::text is null or $5 = any (d.formats)) as by_format,
                    ($6::text is null or d.size_category = $6) as by_size,
                    ($7::text is null or d.access = $7) as by_access
             from datasets d
             where d.latest_version is not null
               and ($1 = '' or d.search @@ websearch_to_tsquery('english', $1))
         )
         select 'industry' as facet, industry as value, count(*) as count from found
           where by_task and by_license and by_format and by_size and by_access group by industry
         union all
         select 'task', t, count(*) from found, unnest(tasks) t
           where by_industry and by_license and by_format and by_size and by_access group by t
         union all
         select 'license', license_id, count(*) from found
           where license_id is not null and by_industry and by_task and by_format and by_size and by_access
           group by license_id
         union all
         select 'format', f, count(*) from found, unnest(formats) f
           where by_industry and by_task and by_license and by_size and by_access group by f
         union all
         select 'size', size_category, count(*) from found
           where size_category is not null and by_industry and by_task and by_license and by_format and by_access
           group by size_category
         union all
         select 'access', access, count(*) from found
           where by_industry and by_task and by_license and by_format and by_size group by access
         order by 1, 3 desc, 2",
    )
    .bind(q)
    .bind(industry)
    .bind(&query.task)
    .bind(&query.license)
    .bind(format)
    .bind(&query.size)
    .bind(access)
    .fetch_all(&mut **tx)
    .await
}

/// The facet counts of a filter without words, summed over
/// `dataset_facet_profiles` (one row per combination of facet values) rather
/// than counted over every listed dataset's row.
async fn filtered_facets(
    tx: &mut Transaction<'_, Postgres>,
    query: &CatalogQuery,
) -> Result<Vec<FacetCount>, sqlx::Error> {
    // Each branch is planned for the chosen values (`$n is null or …`
    // folds away), so it reads the combinations the other choices keep
    // through their index.
    sqlx::query_as(
        "select 'industry' as facet, industry as value, sum(count)::bigint as count from dataset_facet_profiles p
           where ($2::text is null or p.tasks @> array[$2]) and ($3::text is null or p.license_id = $3)
             and ($4::text is null or p.formats @> array[$4]) and ($5::text is null or p.size_category = $5)
             and ($6::text is null or p.access = $6)
           group by industry
         union all
         select 'task', t, sum(count)::bigint from dataset_facet_profiles p, unnest(p.tasks) t
           where ($1::text is null or p.industry = $1) and ($3::text is null or p.license_id = $3)
             and ($4::text is null or p.formats @> array[$4]) and ($5::text is null or p.size_category = $5)
             and ($6::text is null or p.access = $6)
           group by t
         union all
         select 'license', license_id, sum(count)::bigint from dataset_facet_profiles p
           where license_id is not null and ($1::text is null or p.industry = $1)
             and ($2::text is null or p.tasks @> array[$2]) and ($4::text is null or p.formats @> array[$4])
             and ($5::text is null or p.size_category = $5) and ($6::text is null or p.access = $6)
           group by license_id
         union all
         select 'format', f, sum(count)::bigint from dataset_facet_profiles p, unnest(p.formats) f
           where ($1::text is null or p.industry = $1) and ($2::text is null or p.tasks @> array[$2])
             and ($3::text is null or p.license_id = $3) and ($5::text is null or p.size_category = $5)
             and ($6::text is null or p.access = $6)
           group by f
         union all
         select 'size', size_category, sum(count)::bigint from dataset_facet_profiles p
           where size_category is not null and ($1::text is null or p.industry = $1)
             and ($2::text is null or p.tasks @> array[$2]) and ($3::text is null or p.license_id = $3)
             and ($4::text is null or p.formats @> array[$4]) and ($6::text is null or p.access = $6)
           group by size_category
         union all
         select 'access', access, sum(count)::bigint from dataset_facet_profiles p
           where ($1::text is null or p.industry = $1) and ($2::text is null or p.tasks @> array[$2])
             and ($3::text is null or p.license_id = $3) and ($4::text is null or p.formats @> array[$4])
             and ($5::text is null or p.size_category = $5)
           group by access
         order by 1, 3 desc, 2",
    )
    .bind(query.industry.map(|i| i.as_str()))
    .bind(&query.task)
    .bind(&query.license)
    .bind(query.format.map(|f| f.as_str()))
    .bind(&query.size)
    .bind(query.access.map(|a| a.as_str()))
    .fetch_all(&mut **tx)
    .await
}

/// How many datasets match `query` with the words `q` (for a page past
/// the last).
async fn count(
    tx: &mut Transaction<'_, Postgres>,
    query: &CatalogQuery,
    q: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from datasets d
         where d.latest_version is not null
           and ($1 = '' or d.search @@ websearch_to_tsquery('english', $1))
           and ($2::text is null or d.industry = $2)
           and ($3::text is null or $3 = any (d.tasks))
           and ($4::text is null or d.license_id = $4)
           and ($5::text is null or $5 = any (d.formats))
           and ($6::text is null or d.size_category = $6)
           and ($7::text is null or d.access = $7)",
    )
    .bind(q)
    .bind(query.industry.map(|i| i.as_str()))
    .bind(&query.task)
    .bind(&query.license)
    .bind(query.format.map(|f| f.as_str()))
    .bind(&query.size)
    .bind(query.access.map(|a| a.as_str()))
    .fetch_one(&mut **tx)
    .await
}

/// A dataset with everything its page shows but the chosen version's files.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DatasetRow {
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
    pub latest_version: Option<i32>,
    pub size_category: Option<String>,
    pub downloads: i64,
    pub published_at: Option<OffsetDateTime>,
    pub updated_at: OffsetDateTime,
}

/// One version of a dataset.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    pub id: Uuid,
    pub number: i32,
    pub card: String,
    pub changelog: String,
    pub status: String,
    pub published_at: Option<OffsetDateTime>,
    pub downloads: i64,
}

/// One file of a version.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FileRow {
    pub name: String,
    pub format: String,
    pub bytes: i64,
    pub sha256: Vec<u8>,
    pub row_count: Option<i64>,
    pub columns: Option<Json<Vec<Column>>>,
}

/// A published dataset, its published versions (newest first), the one
/// asked for (`None`: the latest) and that version's files. `None` when
/// there is no such published dataset or version. With `drafts` (staff
/// previewing), its draft too, and a dataset never published yet.
pub async fn dataset(
    pool: &PgPool,
    slug: &str,
    number: Option<i32>,
    drafts: bool,
) -> Result<Option<(DatasetRow, Vec<VersionRow>, VersionRow, Vec<FileRow>)>, sqlx::Error> {
    let Some(row): Option<DatasetRow> = sqlx::query_as(
        "select id, slug, title, summary, industry, tasks, license_id, license_name, license_url, languages, tags,
                publisher, source_name, source_url, citation, access, latest_version, size_category, downloads,
                published_at, updated_at
         from datasets where slug = $1 and (latest_version is not null or $2)",
    )
    .bind(slug)
    .bind(drafts)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let versions: Vec<VersionRow> = sqlx::query_as(
        "select id, number, card, changelog, status, published_at, downloads from dataset_versions
         where dataset_id = $1 and (status = 'published' or ($2 and status = 'draft'))
         order by number desc",
    )
    .bind(row.id)
    .bind(drafts)
    .fetch_all(pool)
    .await?;
    let newest = versions.first().map(|v| v.number);
    let wanted = number.or(row.latest_version).or(newest);
    let Some(version) = versions.iter().find(|v| Some(v.number) == wanted).cloned() else {
        return Ok(None);
    };
    let files: Vec<FileRow> = sqlx::query_as(
        "select name, format, bytes, sha256, row_count, columns from dataset_files
         where version_id = $1 order by name",
    )
    .bind(version.id)
    .fetch_all(pool)
    .await?;
    Ok(Some((row, versions, version, files)))
}

/// A file of a published version, for a download: its dataset's access
/// level and id, and the file's digest and size.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Downloadable {
    pub dataset_id: Uuid,
    pub version_id: Uuid,
    /// False for a draft staff are previewing (not counted).
    pub published: bool,
    pub access: String,
    pub format: String,
    pub bytes: i64,
    pub sha256: Vec<u8>,
}

/// The file `name` of version `number` of the published dataset `slug`;
/// with `drafts` (staff previewing), of its draft too.
pub async fn downloadable(
    pool: &PgPool,
    slug: &str,
    number: i32,
    name: &str,
    drafts: bool,
) -> Result<Option<Downloadable>, sqlx::Error> {
    sqlx::query_as(
        "select d.id as dataset_id, v.id as version_id, v.status = 'published' as published, d.access, f.format,
                f.bytes, f.sha256
         from datasets d
         join dataset_versions v on v.dataset_id = d.id and v.number = $2
                                and (v.status = 'published' or ($4 and v.status = 'draft'))
         join dataset_files f on f.version_id = v.id and f.name = $3
         where d.slug = $1 and (d.latest_version is not null or $4)",
    )
    .bind(slug)
    .bind(number)
    .bind(name)
    .bind(drafts)
    .fetch_optional(pool)
    .await
}

/// Counts a completed download of a file of `version`.
pub async fn count_download(
    pool: &PgPool,
    dataset: Uuid,
    version: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "with v as (update dataset_versions set downloads = downloads + 1 where id = $2)
         update datasets set downloads = downloads + 1 where id = $1",
    )
    .bind(dataset)
    .bind(version)
    .execute(pool)
    .await?;
    Ok(())
}

/// How many datasets there are, published or not (an empty catalog is
/// seeded at start).
pub async fn count_all(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from datasets")
        .fetch_one(pool)
        .await
}

/// The user an API key (as sent in `Authorization: Bearer`) belongs to, if
/// it is a live key of an active account.
pub async fn key_owner(pool: &PgPool, bearer: &str) -> Result<Option<Uuid>, sqlx::Error> {
    let Some((public_id, hash)) = crate::server::api_keys::parse(bearer) else {
        return Ok(None);
    };
    sqlx::query_scalar(
        "select k.user_id from api_keys k join users u on u.id = k.user_id
         where k.public_id = $1 and k.secret_hash = $2 and k.revoked_at is null
           and (k.expires_at is null or k.expires_at > now()) and u.status = 'active'",
    )
    .bind(public_id)
    .bind(hash.as_slice())
    .fetch_optional(pool)
    .await
}
