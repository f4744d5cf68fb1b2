//! Running an agent's tool calls over its linked datasets, for the user
//! the conversation belongs to: `describe_dataset` reads a dataset's latest
//! version (files, columns, the viewer's statistics, the card's opening),
//! `query_dataset` reads its viewer table through `dataset_table_query`
//! after [`plan`] checked the query. A dataset that is not linked to the
//! agent, or whose files the user may not read (terms not accepted, access
//! not approved), is refused as the model would be told any other mistake:
//! in the result, which goes back to it.

use serde_json::{json, Value};
use sqlx::types::Json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::agent_tools::{parse_args, plan, DescribeArgs, FileColumn, QueryArgs, ToolCall};
use crate::domain::agents::Tool;
use crate::domain::viewer::ColumnKind;
use crate::server::datasets::viewer;
use crate::server::services::dataset_access;
use crate::server::services::datasets::{self, DatasetRow, FileRow};

/// Characters of the card a description carries.
const CARD_EXCERPT: usize = 1_500;

/// How long one query may run.
const QUERY_TIMEOUT_MS: u32 = 5_000;

/// What an agent's tools may read: its enabled tools and linked datasets,
/// for `user`.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    pub user: Uuid,
    pub tools: &'a [Tool],
    pub datasets: &'a [String],
}

/// The result of `call` as the model reads it: JSON text, `{"error": …}`
/// when the call cannot be answered.
pub async fn run(pool: &PgPool, scope: &Scope<'_>, call: &ToolCall) -> String {
    let result = match Tool::parse(&call.name).filter(|t| scope.tools.contains(t)) {
        None => Err(format!("there is no tool `{}`", call.name)),
        Some(Tool::DescribeDataset) => match parse_args::<DescribeArgs>(&call.arguments) {
            Ok(args) => describe(pool, scope, &args.dataset).await,
            Err(message) => Err(message),
        },
        Some(Tool::QueryDataset) => match parse_args::<QueryArgs>(&call.arguments) {
            Ok(args) => query_tool(pool, scope, &args).await,
            Err(message) => Err(message),
        },
    };
    match result {
        Ok(value) => value.to_string(),
        Err(message) => json!({ "error": message }).to_string(),
    }
}

/// The dataset `slug` if the agent links it and the user may read it.
async fn readable(
    pool: &PgPool,
    scope: &Scope<'_>,
    slug: &str,
) -> Result<(DatasetRow, i32, String, Vec<FileRow>), String> {
    if !scope.datasets.iter().any(|d| d == slug) {
        return Err(format!(
            "`{slug}` is not one of this agent's datasets: {}",
            scope.datasets.join(", ")
        ));
    }
    let failed = |error: sqlx::Error| {
        tracing::error!(%error, "reading a dataset for a tool call");
        "the dataset could not be read just now".to_owned()
    };
    let (row, _, version, files) = datasets::dataset(pool, slug, None, false)
        .await
        .map_err(failed)?
        .ok_or_else(|| format!("`{slug}` is not in the catalog now"))?;
    if !dataset_access::granted(pool, row.id, &row.access, scope.user)
        .await
        .map_err(failed)?
    {
        return Err(format!(
            "the user may not read `{slug}` yet: its page asks them to accept its terms or request access first"
        ));
    }
    Ok((row, version.number, version.card, files))
}

async fn describe(pool: &PgPool, scope: &Scope<'_>, slug: &str) -> Result<Value, String> {
    let (row, version, card, files) = readable(pool, scope, slug).await?;
    let mut described = Vec::new();
    for file in &files {
        let stats = viewer::table(pool, &file.sha256)
            .await
            .ok()
            .flatten()
            .filter(|t| t.status == "ready")
            .map(|t| t.stats)
            .unwrap_or_default();
        let columns: Vec<Value> = file
            .columns
            .as_ref()
            .map(|c| c.0.as_slice())
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let mut value = json!({"name": column.name, "type": column.kind});
                if !column.description.is_empty() {
                    value["description"] = json!(column.description);
                }
                if let Some(s) = stats.get(i) {
                    value["missing"] = json!(s.nulls);
                    value["distinct"] = json!(s.distinct);
                    value["min"] = json!(s.min);
                    value["max"] = json!(s.max);
                    if let Some(mean) = s.mean {
                        value["mean"] = json!(mean);
                    }
                    value["most_common"] = json!(s.top.iter().take(5).collect::<Vec<_>>());
                }
                value
            })
            .collect();
        described.push(json!({
            "name": file.name,
            "format": file.format,
            "rows": file.row_count,
            "queryable": !stats.is_empty(),
            "columns": columns,
        }));
    }
    let excerpt: String = card.chars().take(CARD_EXCERPT).collect();
    Ok(json!({
        "dataset": row.slug,
        "title": row.title,
        "summary": row.summary,
        "version": version,
        "license": row.license_id.unwrap_or(row.license_name),
        "files": described,
        "card_excerpt": excerpt,
    }))
}

async fn query_tool(pool: &PgPool, scope: &Scope<'_>, args: &QueryArgs) -> Result<Value, String> {
    let (row, _, _, files) = readable(pool, scope, &args.dataset).await?;
    let tabular = |f: &&FileRow| f.columns.as_ref().is_some_and(|c| !c.0.is_empty());
    let file = match &args.file {
        Some(name) => files.iter().filter(tabular).find(|f| f.name == *name),
        None => files.iter().find(tabular),
    }
    .ok_or_else(|| {
        let names: Vec<&str> = files
            .iter()
            .filter(tabular)
            .map(|f| f.name.as_str())
            .collect();
        format!(
            "no such tabular file; the dataset's are: {}",
            names.join(", ")
        )
    })?;
    let columns: Vec<FileColumn> = file
        .columns
        .as_ref()
        .map(|c| c.0.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|c| FileColumn {
            name: c.name.clone(),
            kind: ColumnKind::parse(&c.kind),
        })
        .collect();
    let planned = plan(args, &columns)?;
    let rows = run_query(pool, &file.sha256, &planned).await?;
    let returned = rows.as_array().map_or(0, Vec::len);
    Ok(json!({
        "dataset": row.slug,
        "file": file.name,
        "columns": planned.outputs,
        "rows": rows,
        "returned": returned,
        "limit": planned.limit,
    }))
}

async fn run_query(
    pool: &PgPool,
    sha256: &[u8],
    planned: &crate::domain::agent_tools::TableQuery,
) -> Result<Value, String> {
    let failed = |error: sqlx::Error| {
        // A value the column's type rejects, or a query too slow: the
        // model is told, without the database's words.
        let slow = error
            .as_database_error()
            .and_then(|e| e.code())
            .is_some_and(|code| code == "57014");
        if slow {
            "the query took too long: filter more, or group".to_owned()
        } else {
            tracing::warn!(%error, "a dataset query failed");
            "the query could not be run on this file".to_owned()
        }
    };
    let mut tx = pool.begin().await.map_err(failed)?;
    sqlx::query("select set_config('statement_timeout', $1, true)")
        .bind(QUERY_TIMEOUT_MS.to_string())
        .execute(&mut *tx)
        .await
        .map_err(failed)?;
    let rows: Option<Json<Value>> = sqlx::query_scalar("select dataset_table_query($1, $2)")
        .bind(sha256)
        .bind(Json(planned))
        .fetch_one(&mut *tx)
        .await
        .map_err(failed)?;
    tx.rollback().await.map_err(failed)?;
    rows.map(|r| r.0)
        .ok_or_else(|| "this file is still being prepared; try describe_dataset later".to_owned())
}
