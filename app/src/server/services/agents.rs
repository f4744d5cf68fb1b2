//! Agents' SQL: importing an agent file (a new agent, or the next version
//! of one), publishing, the gallery with its industry counts, one agent
//! with its linked datasets and model price, and exporting an agent back
//! to its file.
//!
//! An agent has numbered versions; a published one never changes (a
//! trigger holds it), so importing or editing a published agent drafts the
//! next version, and at most one draft exists per agent.

use std::net::IpAddr;
use std::path::Path;

use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::audit::{self, Entry};
use crate::domain::agents::{parse_file, AgentSpec, GalleryQuery, Parameters, Tool};
use crate::domain::datasets::DatasetIndustry;
use crate::domain::paging::limit_offset;
use crate::server::like::contains_pattern;

/// Who changes an agent, for the audit log: a staff member, or the portal
/// itself (the seed), which is not audited.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub user_id: Uuid,
    pub addr: Option<IpAddr>,
}

/// One version of an agent, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    pub agent_id: Uuid,
    pub slug: String,
    pub featured: bool,
    pub number: i32,
    pub status: String,
    pub name: String,
    pub industry: String,
    pub summary: String,
    pub description: String,
    pub icon: String,
    pub model: String,
    pub system_prompt: String,
    pub temperature: f64,
    pub top_p: f64,
    pub max_tokens: i32,
    pub opening_message: String,
    pub example_prompts: Vec<String>,
    pub datasets: Vec<String>,
    pub tools: Vec<String>,
    pub changelog: String,
    pub published_at: Option<OffsetDateTime>,
    /// The version the gallery shows (none: unpublished).
    pub published_version: Option<i32>,
}

impl VersionRow {
    /// The version as an agent file describes it (values the database
    /// checked already; an unknown industry or tool is left out).
    pub fn spec(&self) -> AgentSpec {
        AgentSpec {
            slug: self.slug.clone(),
            name: self.name.clone(),
            industry: DatasetIndustry::parse(&self.industry)
                .unwrap_or(DatasetIndustry::CrossIndustry),
            summary: self.summary.clone(),
            description: self.description.clone(),
            icon: self.icon.clone(),
            model: self.model.clone(),
            system_prompt: self.system_prompt.clone(),
            parameters: Parameters {
                temperature: self.temperature,
                top_p: self.top_p,
                max_tokens: u32::try_from(self.max_tokens).unwrap_or(1),
            },
            opening_message: self.opening_message.clone(),
            example_prompts: self.example_prompts.clone(),
            datasets: self.datasets.clone(),
            tools: self.tools.iter().filter_map(|t| Tool::parse(t)).collect(),
            featured: self.featured,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// A new agent, at version 1.
    Created { version: i32 },
    /// The next version of an agent (a draft unless published).
    Versioned { version: i32 },
    /// The agent's newest version holds this already.
    Unchanged { version: i32 },
}

impl Imported {
    pub fn version(self) -> i32 {
        match self {
            Self::Created { version }
            | Self::Versioned { version }
            | Self::Unchanged { version } => version,
        }
    }
}

/// Imports `spec`: a new agent, or, when its newest version differs, that
/// version's draft rewritten (or the next version drafted, when the newest
/// is published). With `publish`, the result is published. Audited when
/// `actor` is given.
pub async fn import(
    pool: &PgPool,
    spec: &AgentSpec,
    changelog: &str,
    publish: bool,
    actor: Option<Actor>,
) -> Result<Imported, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let (agent_id, created): (Uuid, bool) = sqlx::query_as(
        "insert into agents (slug, featured) values ($1, $2)
         on conflict (slug) do update set featured = excluded.featured
         returning id, (xmax = 0)",
    )
    .bind(&spec.slug)
    .bind(spec.featured)
    .fetch_one(&mut *tx)
    .await?;
    let newest = newest_version(&mut tx, agent_id).await?;
    let outcome = match newest {
        Some(row) if row.spec() == *spec => Imported::Unchanged {
            version: row.number,
        },
        Some(row) if row.status == "draft" => {
            write_version(&mut tx, agent_id, row.number, spec, changelog, actor).await?;
            Imported::Versioned {
                version: row.number,
            }
        }
        Some(row) => {
            write_version(&mut tx, agent_id, row.number + 1, spec, changelog, actor).await?;
            Imported::Versioned {
                version: row.number + 1,
            }
        }
        None => {
            write_version(&mut tx, agent_id, 1, spec, changelog, actor).await?;
            Imported::Created { version: 1 }
        }
    };
    if publish {
        publish_version(&mut tx, agent_id, outcome.version()).await?;
    }
    if let Some(actor) = actor {
        audit::record(
            &mut tx,
            Entry {
                actor_id: Some(actor.user_id),
                action: if created {
                    "agent.create"
                } else {
                    "agent.import"
                },
                target_type: "agent",
                target_id: spec.slug.clone(),
                before: None,
                after: Some(json!({
                    "version": outcome.version(),
                    "published": publish,
                    "unchanged": matches!(outcome, Imported::Unchanged { .. }),
                })),
                client_addr: actor.addr,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(if created {
        Imported::Created {
            version: outcome.version(),
        }
    } else {
        outcome
    })
}

/// The newest version of agent `agent_id`.
async fn newest_version(
    conn: &mut PgConnection,
    agent_id: Uuid,
) -> Result<Option<VersionRow>, sqlx::Error> {
    sqlx::query_as(
        "select * from agent_version_rows where agent_id = $1 order by number desc limit 1",
    )
    .bind(agent_id)
    .fetch_optional(conn)
    .await
}

/// Writes version `number` of `agent_id` as a draft: inserted, or the
/// existing draft at that number rewritten.
async fn write_version(
    conn: &mut PgConnection,
    agent_id: Uuid,
    number: i32,
    spec: &AgentSpec,
    changelog: &str,
    actor: Option<Actor>,
) -> Result<(), sqlx::Error> {
    let tools: Vec<&str> = spec.tools.iter().map(|t| t.as_str()).collect();
    // A new version, or the draft at `number` rewritten; never a published one.
    sqlx::query(
        "insert into agent_versions (agent_id, number, name, industry, summary, description, icon, model,
                                     system_prompt, temperature, top_p, max_tokens, opening_message,
                                     example_prompts, datasets, tools, changelog, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         on conflict (agent_id, number) do update
         set name = excluded.name, industry = excluded.industry, summary = excluded.summary,
             description = excluded.description, icon = excluded.icon, model = excluded.model,
             system_prompt = excluded.system_prompt, temperature = excluded.temperature,
             top_p = excluded.top_p, max_tokens = excluded.max_tokens,
             opening_message = excluded.opening_message, example_prompts = excluded.example_prompts,
             datasets = excluded.datasets, tools = excluded.tools, changelog = excluded.changelog,
             created_by = coalesce(excluded.created_by, agent_versions.created_by)
         where agent_versions.status = 'draft'",
    )
        .bind(agent_id)
        .bind(number)
        .bind(&spec.name)
        .bind(spec.industry.as_str())
        .bind(&spec.summary)
        .bind(&spec.description)
        .bind(&spec.icon)
        .bind(&spec.model)
        .bind(&spec.system_prompt)
        .bind(spec.parameters.temperature)
        .bind(spec.parameters.top_p)
        .bind(i32::try_from(spec.parameters.max_tokens).unwrap_or(i32::MAX))
        .bind(&spec.opening_message)
        .bind(&spec.example_prompts)
        .bind(&spec.datasets)
        .bind(&tools)
        .bind(changelog)
        .bind(actor.map(|a| a.user_id))
        .execute(conn)
        .await?;
    Ok(())
}

/// Publishes version `number` of `agent_id` (a draft, or one published
/// already) and makes it the one the gallery shows.
async fn publish_version(
    conn: &mut PgConnection,
    agent_id: Uuid,
    number: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update agent_versions set status = 'published', published_at = now()
         where agent_id = $1 and number = $2 and status = 'draft'",
    )
    .bind(agent_id)
    .bind(number)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "update agents set published_version = $2, published_at = coalesce(published_at, now())
         where id = $1",
    )
    .bind(agent_id)
    .bind(number)
    .execute(conn)
    .await?;
    Ok(())
}

/// Loads every `*.json` agent file of `dir` whose slug is not an agent yet,
/// published; returns how many were added. A file that does not check is
/// an error naming it and its fields.
pub async fn seed(pool: &PgPool, dir: &Path) -> anyhow::Result<usize> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("reading the agent folder {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut added = 0;
    for path in files {
        let spec = parse_file(&std::fs::read_to_string(&path)?).map_err(|problems| {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("{}: {}", path.display(), list.join("; "))
        })?;
        let exists: bool =
            sqlx::query_scalar("select exists (select 1 from agents where slug = $1)")
                .bind(&spec.slug)
                .fetch_one(pool)
                .await?;
        if !exists {
            import(
                pool,
                &spec,
                "First release in the Lab's gallery.",
                true,
                None,
            )
            .await?;
            added += 1;
        }
    }
    Ok(added)
}

/// How many agents there are, published or not.
pub async fn count_all(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from agents")
        .fetch_one(pool)
        .await
}

/// An agent as the gallery lists it, with its model's prices when the API
/// serves that model.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    pub slug: String,
    pub name: String,
    pub industry: String,
    pub summary: String,
    pub icon: String,
    pub model: String,
    pub featured: bool,
    /// Micro-credits per million tokens, in and out; none when the model
    /// is not served now.
    pub input_price: Option<i64>,
    pub output_price: Option<i64>,
    pub total: i64,
}

/// The published agents matching `query`, a page of them (featured first,
/// then the newest), the total, and how many match each industry (the
/// search applied, the industry not).
pub async fn gallery(
    pool: &PgPool,
    query: &GalleryQuery,
    per_page: i64,
) -> Result<(Vec<Listed>, i64, Vec<(String, i64)>), sqlx::Error> {
    let (limit, offset) = limit_offset(query.page, per_page);
    let pattern = contains_pattern(Some(&query.q));
    let industry = query.industry.map(|i| i.as_str());
    let rows: Vec<Listed> = sqlx::query_as(
        "select a.slug, v.name, v.industry, v.summary, v.icon, v.model, a.featured,
                m.input_price, m.output_price, count(*) over () as total
         from agents a
         join agent_versions v on v.agent_id = a.id and v.number = a.published_version
         left join models m on m.public_id = v.model and m.enabled and m.kind = 'chat'
         where a.published_version is not null
           and ($1::text is null or v.name ilike $1 or v.summary ilike $1 or v.description ilike $1)
           and ($2::text is null or v.industry = $2)
         order by a.featured desc, a.published_at desc, a.slug
         limit $3 offset $4",
    )
    .bind(&pattern)
    .bind(industry)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total = match rows.first() {
        Some(row) => row.total,
        None => sqlx::query_scalar(
            "select count(*) from agents a
             join agent_versions v on v.agent_id = a.id and v.number = a.published_version
             where ($1::text is null or v.name ilike $1 or v.summary ilike $1 or v.description ilike $1)
               and ($2::text is null or v.industry = $2)",
        )
        .bind(&pattern)
        .bind(industry)
        .fetch_one(pool)
        .await?,
    };
    let industries: Vec<(String, i64)> = sqlx::query_as(
        "select v.industry, count(*) from agents a
         join agent_versions v on v.agent_id = a.id and v.number = a.published_version
         where ($1::text is null or v.name ilike $1 or v.summary ilike $1 or v.description ilike $1)
         group by v.industry",
    )
    .bind(&pattern)
    .fetch_all(pool)
    .await?;
    Ok((rows, total, industries))
}

/// A linked dataset as an agent's page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkedDataset {
    pub slug: String,
    pub title: String,
    pub summary: String,
}

/// One agent: the version the gallery shows, or with `drafts` (staff
/// previewing) its newest version, draft or not; its linked datasets that
/// are in the catalog; its model's prices when served.
pub async fn agent(
    pool: &PgPool,
    slug: &str,
    drafts: bool,
) -> Result<Option<(VersionRow, Vec<LinkedDataset>, Option<(i64, i64)>)>, sqlx::Error> {
    let row: Option<VersionRow> = sqlx::query_as(
        "select * from agent_version_rows r
         where r.slug = $1
           and (r.number = r.published_version
                or ($2 and r.number = (select max(number) from agent_versions where agent_id = r.agent_id)))
         order by r.number desc limit 1",
    )
    .bind(slug)
    .bind(drafts)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let datasets: Vec<LinkedDataset> = sqlx::query_as(
        "select d.slug, d.title, d.summary
         from unnest($1::text[]) with ordinality as l(slug, n)
         join datasets d on d.slug = l.slug and d.latest_version is not null
         order by l.n",
    )
    .bind(&row.datasets)
    .fetch_all(pool)
    .await?;
    let price = model_price(pool, &row.model).await?;
    Ok(Some((row, datasets, price)))
}

/// The prices (micro-credits per million tokens, in and out) of the chat
/// model `model`, when it is enabled and priced.
pub async fn model_price(pool: &PgPool, model: &str) -> Result<Option<(i64, i64)>, sqlx::Error> {
    let price: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(
        "select input_price, output_price from models where public_id = $1 and enabled and kind = 'chat'",
    )
    .bind(model)
    .fetch_optional(pool)
    .await?;
    Ok(price.and_then(|(i, o)| Some((i?, o?))))
}

/// The agent version `user_id`'s conversation `conversation` runs
/// (published or not).
pub async fn version_of_conversation(
    pool: &PgPool,
    user_id: Uuid,
    conversation: Uuid,
) -> Result<Option<VersionRow>, sqlx::Error> {
    sqlx::query_as(
        "select v.* from agent_version_rows v
         join conversations c on c.agent_id = v.agent_id and c.agent_version = v.number
         where c.id = $1 and c.user_id = $2",
    )
    .bind(conversation)
    .bind(user_id)
    .fetch_optional(pool)
    .await
}

/// Version `number` of agent `agent_id`.
pub async fn version(
    pool: &PgPool,
    agent_id: Uuid,
    number: i32,
) -> Result<Option<VersionRow>, sqlx::Error> {
    sqlx::query_as("select * from agent_version_rows where agent_id = $1 and number = $2")
        .bind(agent_id)
        .bind(number)
        .fetch_optional(pool)
        .await
}

/// An agent as staff list it: its newest version and what the gallery
/// shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffListed {
    pub slug: String,
    pub name: String,
    pub industry: String,
    pub icon: String,
    pub newest: i32,
    pub newest_status: String,
    pub published_version: Option<i32>,
    pub featured: bool,
    pub updated_at: OffsetDateTime,
}

/// Every agent, drafts and unpublished ones too, by name.
pub async fn staff_list(pool: &PgPool) -> Result<Vec<StaffListed>, sqlx::Error> {
    sqlx::query_as(
        "select a.slug, v.name, v.industry, v.icon, v.number as newest, v.status as newest_status,
                a.published_version, a.featured, greatest(a.updated_at, v.created_at) as updated_at
         from agents a
         join lateral (select * from agent_versions where agent_id = a.id order by number desc limit 1) v on true
         order by lower(v.name), a.slug",
    )
    .fetch_all(pool)
    .await
}

/// Every version of agent `slug`, newest first; `None` when there is no
/// such agent.
pub async fn history(pool: &PgPool, slug: &str) -> Result<Option<Vec<VersionRow>>, sqlx::Error> {
    let versions: Vec<VersionRow> =
        sqlx::query_as("select * from agent_version_rows where slug = $1 order by number desc")
            .bind(slug)
            .fetch_all(pool)
            .await?;
    Ok((!versions.is_empty()).then_some(versions))
}

/// Makes version `number` of agent `slug` the one the gallery shows (a
/// draft is published, frozen from then on); audited. False when there is
/// no such version.
pub async fn publish(
    pool: &PgPool,
    slug: &str,
    number: i32,
    actor: Actor,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let found: Option<(Uuid, Option<i32>)> = sqlx::query_as(
        "select a.id, a.published_version from agents a
         join agent_versions v on v.agent_id = a.id and v.number = $2
         where a.slug = $1 for update of a",
    )
    .bind(slug)
    .bind(number)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((agent_id, before)) = found else {
        return Ok(false);
    };
    publish_version(&mut tx, agent_id, number).await?;
    audit::record(
        &mut tx,
        Entry {
            actor_id: Some(actor.user_id),
            action: "agent.publish",
            target_type: "agent",
            target_id: slug.to_owned(),
            before: Some(json!({"published_version": before})),
            after: Some(json!({"published_version": number})),
            client_addr: actor.addr,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Takes agent `slug` out of the gallery (its versions and conversations
/// stay); audited. False when there is no such agent.
pub async fn unpublish(pool: &PgPool, slug: &str, actor: Actor) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let before: Option<Option<i32>> =
        sqlx::query_scalar("select published_version from agents where slug = $1 for update")
            .bind(slug)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(before) = before else {
        return Ok(false);
    };
    sqlx::query("update agents set published_version = null where slug = $1")
        .bind(slug)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        Entry {
            actor_id: Some(actor.user_id),
            action: "agent.unpublish",
            target_type: "agent",
            target_id: slug.to_owned(),
            before: Some(json!({"published_version": before})),
            after: Some(json!({"published_version": null})),
            client_addr: actor.addr,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
