//! The data viewer: a page of a view of one tabular file of a version.

use leptos::prelude::*;

use super::TableView;
use crate::domain::viewer::ViewParams;
use crate::error::AppError;

/// The view `params` of a tabular file of version `version` (0: the latest)
/// of the published dataset `slug`. Public: anyone may page, sort and
/// filter an open dataset; of a dataset behind terms or approval, those who
/// were not given access see the first page.
#[server(endpoint = "view_dataset")]
pub async fn view_dataset(
    slug: String,
    #[server(default)] version: i32,
    #[server(default)] params: ViewParams,
) -> Result<TableView, AppError> {
    use super::{ViewerColumn, ViewerRow};
    use crate::domain::datasets::Format;
    use crate::domain::viewer::{page_count, ColumnKind, View};
    use crate::server::datasets::ingest::Column;
    use crate::server::datasets::viewer;
    use crate::server::services::datasets;
    crate::server::respond(async move {
        let state = crate::server::state()?;
        let wanted = (version > 0).then_some(version);
        let (row, _, shown, files) =
            datasets::dataset(&state.pool, slug.trim(), wanted, crate::server::is_staff())
                .await
                .map_err(crate::server::internal)?
                .ok_or_else(|| {
                    AppError::NotFound("There is no published dataset at this address.".to_owned())
                })?;
        let preview_only = match (row.access.as_str(), crate::server::caller()) {
            ("open", _) => false,
            (_, None) => true,
            (_, Some(caller)) if caller.role == crate::domain::role::PlatformRole::Admin => false,
            (access, Some(caller)) => !crate::server::services::dataset_access::granted(
                &state.pool,
                row.id,
                access,
                caller.user_id,
            )
            .await
            .map_err(crate::server::internal)?,
        };
        let tabular: Vec<_> = files
            .into_iter()
            .filter(|f| {
                f.columns.is_some()
                    && matches!(
                        Format::parse(&f.format),
                        Some(Format::Csv | Format::Tsv | Format::JsonLines | Format::Parquet)
                    )
            })
            .collect();
        let mut view = TableView {
            slug: row.slug.clone(),
            title: row.title.clone(),
            version: shown.number,
            latest: row.latest_version.unwrap_or(shown.number),
            pinned: wanted.is_some(),
            files: tabular.iter().map(|f| f.name.clone()).collect(),
            file: String::new(),
            status: "none".to_owned(),
            columns: Vec::new(),
            rows: Vec::new(),
            total: 0,
            matching: 0,
            capped: false,
            page: 1,
            pages: 1,
            params: params.clone(),
            notice: None,
            preview_only,
        };
        let chosen = if params.file.is_empty() {
            tabular.first()
        } else {
            tabular.iter().find(|f| f.name == params.file)
        };
        let Some(file) = chosen else {
            if !params.file.is_empty() {
                return Err(AppError::NotFound(format!(
                    "Version {} of this dataset has no table named “{}”.",
                    shown.number, params.file
                )));
            }
            return Ok(view);
        };
        view.file = file.name.clone();
        let columns: Vec<Column> = file.columns.clone().map(|c| c.0).unwrap_or_default();
        let Some(table) = viewer::table(&state.pool, &file.sha256)
            .await
            .map_err(crate::server::internal)?
        else {
            view.status = "building".to_owned();
            return Ok(view);
        };
        view.status = table.status.clone();
        view.total = table.rows;
        view.columns = columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let stats = table.stats.get(i).cloned().unwrap_or_default();
                let kind = ColumnKind::parse(&c.kind);
                ViewerColumn {
                    name: c.name.clone(),
                    kind: kind.as_str().to_owned(),
                    description: c.description.clone(),
                    nulls: stats.nulls,
                    distinct: stats.distinct,
                    histogram: labels::histogram(kind, &stats),
                    mean: stats.mean.map(labels::number),
                    min: stats.min,
                    max: stats.max,
                    top: stats.top,
                    filterable: stats.filterable,
                }
            })
            .collect();
        if table.status != "ready" {
            return Ok(view);
        }
        let kinds: Vec<(String, ColumnKind)> = columns
            .iter()
            .map(|c| (c.name.clone(), ColumnKind::parse(&c.kind)))
            .collect();
        let asked = if view.preview_only {
            ViewParams {
                file: params.file.clone(),
                ..ViewParams::default()
            }
        } else {
            params.clone()
        };
        let parsed = match View::parse(&asked, &kinds) {
            Ok(parsed) => parsed,
            Err(notice) => {
                view.notice = Some(notice);
                view.params = ViewParams {
                    file: params.file.clone(),
                    ..ViewParams::default()
                };
                View::parse(&view.params, &kinds).map_err(AppError::InvalidRequest)?
            }
        };
        if view.preview_only {
            view.params = asked;
        }
        let page = viewer::page(&state.pool, &file.sha256, &parsed)
            .await
            .map_err(|e| {
                if viewer::timed_out(&e) {
                    AppError::InvalidRequest(
                        "This search took too long on a file this large. Search for something more specific, or filter on a column's value instead."
                            .to_owned(),
                    )
                } else {
                    crate::server::internal(e)
                }
            })?;
        view.page = parsed.page;
        view.matching = page.matching;
        view.capped =
            parsed.pattern.is_some() && page.matching >= crate::domain::viewer::SEARCH_COUNT_CAP;
        view.pages = if view.preview_only {
            1
        } else {
            page_count(page.matching)
        };
        view.rows = page
            .rows
            .into_iter()
            .map(|(number, cells)| ViewerRow { number, cells })
            .collect();
        Ok(view)
    })
    .await
}

/// Words for a column's statistics.
#[cfg(feature = "ssr")]
mod labels {
    use super::super::HistogramBin;
    use crate::domain::viewer::ColumnKind;
    use crate::server::datasets::viewer::ColumnStats;

    /// A number as people read it: whole numbers grouped, others to two
    /// decimals at most.
    pub fn number(value: f64) -> String {
        if value.fract() == 0.0 && value.abs() < 1e15 {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "a whole number below 1e15 fits an i64"
            )]
            return crate::format::grouped(value as i64);
        }
        let text = format!("{value:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }

    /// Every bin of the column's histogram, the empty ones too, each
    /// labelled with the values it covers.
    pub fn histogram(kind: ColumnKind, stats: &ColumnStats) -> Vec<HistogramBin> {
        let (Some(low), Some(high), Some(bins)) = (stats.low, stats.high, stats.bins) else {
            return Vec::new();
        };
        if !(1..=100).contains(&bins) || high <= low {
            return Vec::new();
        }
        let width = (high - low) / bins as f64;
        (1..=bins)
            .map(|bin| {
                let from = low + (bin - 1) as f64 * width;
                let to = from + width;
                let rows = stats
                    .histogram
                    .iter()
                    .find(|(b, _)| *b == bin)
                    .map_or(0, |(_, n)| *n);
                HistogramBin {
                    label: label(kind, from, to),
                    rows,
                }
            })
            .collect()
    }

    /// The values in [from, to) of a column of `kind`.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "bin edges are within the column's own range of i64 values, days or seconds"
    )]
    fn label(kind: ColumnKind, from: f64, to: f64) -> String {
        let whole = |from: f64, to: f64, show: &dyn Fn(i64) -> String| {
            let first = from.ceil() as i64;
            let last = to.ceil() as i64 - 1;
            if last <= first {
                show(first)
            } else {
                format!("{} – {}", show(first), show(last))
            }
        };
        match kind {
            ColumnKind::Integer => whole(from, to, &|n| n.to_string()),
            ColumnKind::Date => whole(from, to, &|days| {
                time::Date::from_julian_day(i32::try_from(days + 2_440_588).unwrap_or(2_440_588))
                    .map(crate::format::date)
                    .unwrap_or_default()
            }),
            ColumnKind::Datetime => {
                let at = |seconds: f64| {
                    time::OffsetDateTime::from_unix_timestamp(seconds as i64)
                        .map(crate::format::time)
                        .unwrap_or_default()
                };
                format!("{} – {}", at(from), at(to))
            }
            _ => format!("{} – {}", number(from), number(to)),
        }
    }
}
