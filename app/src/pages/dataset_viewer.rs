//! The data viewer (`/datasets/{slug}/viewer`, and
//! `/datasets/{slug}/v/{n}/viewer` for a given version): a tabular file a
//! hundred rows at a time, every row reachable, sorted by any column,
//! filtered on a column's value and searched in its text, with each
//! column's statistics and histogram drawn on the server. Every state is
//! the URL's, so a view can be shared, and it all works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::load_error;
use crate::api::datasets::{view_dataset, TableView, ViewerColumn, ViewerRow};
use crate::components::ui::{EmptyState, PageHeader};
use crate::domain::viewer::{ColumnKind, ViewParams, PAGE_ROWS};
use crate::format;
use crate::href;

/// `/datasets/{slug}/viewer` and `/datasets/{slug}/v/{n}/viewer`.
#[component]
pub fn DatasetViewerPage() -> impl IntoView {
    let path = use_params_map();
    let query = use_query_map();
    let wanted = Memo::new(move |_| {
        let path = path.read();
        let query = query.read();
        let get = |name: &str| query.get(name).unwrap_or_default();
        (
            path.get("slug").unwrap_or_default(),
            path.get("version")
                .and_then(|v| v.parse::<i32>().ok())
                .unwrap_or(0),
            ViewParams {
                file: get("file"),
                page: get("page"),
                sort: get("sort"),
                dir: get("dir"),
                col: get("col"),
                eq: get("eq"),
                q: get("q"),
            },
        )
    });
    let table = Resource::new(
        move || wanted.get(),
        |(slug, version, params)| view_dataset(slug, version, params),
    );
    view! {
        <section class="container page">
            <Suspense fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match table.await {
                        Ok(t) => table_view(t).into_any(),
                        Err(e) => {
                            view! {
                                <Title text="Data viewer" />
                                {load_error(e)}
                                <p>
                                    <a href=href::datasets()>"Back to the catalog"</a>
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Where the viewer shows `params` of this table.
fn view_href(t: &TableView, params: &ViewParams) -> String {
    let path = href::dataset_viewer(&t.slug, t.pinned.then_some(t.version));
    let page = if params.page == "1" {
        ""
    } else {
        params.page.as_str()
    };
    href::with_query(
        &path,
        &[
            ("file", params.file.as_str()),
            ("q", params.q.as_str()),
            ("col", params.col.as_str()),
            ("eq", params.eq.as_str()),
            ("sort", params.sort.as_str()),
            ("dir", params.dir.as_str()),
            ("page", page),
        ],
    )
}

/// The table's current view with `change` made to it.
fn changed(t: &TableView, change: impl FnOnce(&mut ViewParams)) -> String {
    let mut params = t.params.clone();
    change(&mut params);
    view_href(t, &params)
}

fn table_view(t: TableView) -> impl IntoView {
    let dataset_href = if t.pinned {
        href::dataset_version(&t.slug, t.version)
    } else {
        href::dataset(&t.slug)
    };
    let heading = if t.file.is_empty() {
        t.title.clone()
    } else {
        format!("{} · {}", t.title, t.file)
    };
    let file_tabs = (t.files.len() > 1).then(|| {
        let tabs = t
            .files
            .iter()
            .map(|name| {
                let link = changed(&t, |p| {
                    *p = ViewParams {
                        file: name.clone(),
                        ..ViewParams::default()
                    }
                });
                let current = (*name == t.file).then_some("page");
                view! {
                    <li>
                        <a href=link aria-current=current>
                            {name.clone()}
                        </a>
                    </li>
                }
            })
            .collect_view();
        view! {
            <nav class="viewer-files" aria-label="Files">
                <ul>{tabs}</ul>
            </nav>
        }
    });
    let body = match t.status.as_str() {
        "ready" => ready_view(&t).into_any(),
        "building" => view! {
            <EmptyState title="This table is being prepared">
                <p>
                    "The file is being loaded into the viewer. Reload this page in a moment; it can be downloaded already from the dataset's page."
                </p>
            </EmptyState>
        }
        .into_any(),
        "failed" => view! {
            <EmptyState title="This file cannot be shown here">
                <p>
                    "The file could not be loaded into the viewer. It can still be downloaded from the dataset's page."
                </p>
            </EmptyState>
        }
        .into_any(),
        _ => view! {
            <EmptyState title="Nothing to show in the viewer">
                <p>"This version has no CSV, TSV or JSON Lines files."</p>
            </EmptyState>
        }
        .into_any(),
    };
    let version_note = format!("Version {} of {}", t.version, t.latest);
    view! {
        <Title text=format!("Data viewer · {}", t.title) />
        <PageHeader eyebrow="Data viewer" title=heading>
            <p>
                <a href=dataset_href>{format!("← {}", t.title)}</a>
                <span class="muted">{format!(" · {version_note}")}</span>
            </p>
        </PageHeader>
        {file_tabs}
        {body}
    }
}

fn ready_view(t: &TableView) -> impl IntoView {
    let notice = t.notice.clone().map(|text| {
        view! {
            <p class="notice notice-error" role="alert">
                {text}
            </p>
        }
    });
    let preview = t.preview_only.then(|| {
        let dataset = href::dataset(&t.slug);
        view! {
            <p class="notice" role="note">
                "Its first rows are shown here. This dataset's terms must be accepted, or a request approved, to page, sort and filter it: see "
                <a href=dataset>"Access on the dataset's page"</a>
                "."
            </p>
        }
    });
    let controls = (!t.preview_only).then(|| controls(t));
    let first = (t.page - 1) * PAGE_ROWS + 1;
    let last = first + i64::try_from(t.rows.len()).unwrap_or(0) - 1;
    let filtered = !t.params.q.trim().is_empty() || !t.params.col.is_empty();
    let summary = if t.rows.is_empty() {
        if filtered {
            "No row matches this view.".to_owned()
        } else {
            format!(
                "Nothing on page {} of {}.",
                t.page,
                format::grouped(t.pages)
            )
        }
    } else {
        let of = if t.capped {
            format!("more than {} matching rows", format::grouped(t.matching))
        } else if filtered {
            format!(
                "{} matching rows of {}",
                format::grouped(t.matching),
                format::grouped(t.total)
            )
        } else {
            format!("{} rows", format::grouped(t.total))
        };
        format!(
            "Rows {}–{} of {of}",
            format::grouped(first),
            format::grouped(last)
        )
    };
    view! {
        {notice}
        {preview}
        {controls}
        <p class="muted" role="status">
            {summary}
        </p>
        {data_table(t)}
        {(!t.preview_only).then(|| pager(t))}
        <section aria-labelledby="stats-heading">
            <h2 id="stats-heading">"Columns"</h2>
            <div class="viewer-stats">
                {t.columns.iter().map(|c| column_stats(t, c)).collect_view()}
            </div>
        </section>
    }
}

/// The view's other parameters a GET form carries along, the empty ones left out.
fn hidden_fields<const N: usize>(fields: [(&'static str, String); N]) -> impl IntoView {
    fields
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
        .collect_view()
}

/// Search and filter, as a GET form: it works without JavaScript.
fn controls(t: &TableView) -> impl IntoView {
    let has_text = t.columns.iter().any(|c| c.kind == "string");
    let action = href::dataset_viewer(&t.slug, t.pinned.then_some(t.version));
    let chosen = t.params.col.clone();
    let options = t
        .columns
        .iter()
        .filter(|c| c.filterable)
        .map(|c| {
            let selected = c.name == chosen;
            view! {
                <option value=c.name.clone() selected=selected>
                    {c.name.clone()}
                </option>
            }
        })
        .collect_view();
    let clear = changed(t, |p| {
        *p = ViewParams {
            file: p.file.clone(),
            sort: p.sort.clone(),
            dir: p.dir.clone(),
            ..ViewParams::default()
        }
    });
    let hidden = hidden_fields([
        ("file", t.params.file.clone()),
        ("sort", t.params.sort.clone()),
        ("dir", t.params.dir.clone()),
    ]);
    let (q, eq) = (t.params.q.clone(), t.params.eq.clone());
    let clear_link = filtered_link(t, clear);
    view! {
        <Form method="GET" action=action attr:class="filter-bar viewer-controls" attr:role="search">
            {hidden}
            {has_text
                .then(|| {
                    view! {
                        <div class="field">
                            <label for="viewer-q">"Find text"</label>
                            <input
                                id="viewer-q"
                                name="q"
                                type="search"
                                value=q
                                placeholder="in any text column"
                            />
                        </div>
                    }
                })}
            <div class="field">
                <label for="viewer-col">"Column"</label>
                <select id="viewer-col" name="col">
                    <option value="">"No filter"</option>
                    {options}
                </select>
            </div>
            <div class="field">
                <label for="viewer-eq">"equals"</label>
                <input id="viewer-eq" name="eq" type="text" value=eq />
            </div>
            <button type="submit" class="button">
                "Apply"
            </button>
            {clear_link}
        </Form>
    }
}

fn filtered_link(t: &TableView, clear: String) -> Option<impl IntoView> {
    (!t.params.q.is_empty() || !t.params.col.is_empty()).then(|| {
        view! {
            <a class="button button-quiet" href=clear>
                "Clear"
            </a>
        }
    })
}

/// The page's rows; each column header sorts by it (ascending, then
/// descending, then back to file order).
fn data_table(t: &TableView) -> impl IntoView {
    let headers = t
        .columns
        .iter()
        .map(|c| {
            let sorted = t.params.sort == c.name;
            let descending = sorted && t.params.dir == "desc";
            let (next_sort, next_dir, state) = match (sorted, descending) {
                (false, _) => (c.name.clone(), String::new(), None),
                (true, false) => (c.name.clone(), "desc".to_owned(), Some("ascending")),
                (true, true) => (String::new(), String::new(), Some("descending")),
            };
            let link = changed(t, |p| {
                p.sort = next_sort;
                p.dir = next_dir;
                p.page = String::new();
            });
            let arrow = match state {
                Some("ascending") => " ▲",
                Some(_) => " ▼",
                None => "",
            };
            let numeric = matches!(c.kind.as_str(), "integer" | "number");
            let label = format!("Sort by {}", c.name);
            let header = if t.preview_only {
                view! { <span>{c.name.clone()}</span> }.into_any()
            } else {
                view! {
                    <a href=link title=label>
                        {c.name.clone()}
                        <span aria-hidden="true">{arrow}</span>
                    </a>
                }
                .into_any()
            };
            view! {
                <th scope="col" aria-sort=state class:num=numeric>
                    {header}
                    <span class="viewer-type">{c.kind.clone()}</span>
                </th>
            }
        })
        .collect_view();
    let numeric: Vec<bool> = t
        .columns
        .iter()
        .map(|c| matches!(c.kind.as_str(), "integer" | "number"))
        .collect();
    let rows = t
        .rows
        .iter()
        .map(|row: &ViewerRow| {
            let cells = row
                .cells
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    let num = numeric.get(i).copied().unwrap_or(false);
                    match cell {
                        Some(text) => view! { <td class:num=num>{text.clone()}</td> }.into_any(),
                        None => view! {
                            <td class="viewer-missing">
                                <span aria-hidden="true">"—"</span>
                                <span class="visually-hidden">"missing"</span>
                            </td>
                        }
                        .into_any(),
                    }
                })
                .collect_view();
            view! {
                <tr>
                    <th scope="row" class="num viewer-row">
                        {format::grouped(row.number)}
                    </th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="viewer-table" tabindex="0" role="region" aria-label="Rows">
            <table class="viewer-grid">
                <caption class="visually-hidden">
                    {format!("Rows of {}, page {} of {}", t.file, t.page, t.pages)}
                </caption>
                <thead>
                    <tr>
                        <th scope="col" class="num">
                            "Row"
                        </th>
                        {headers}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// First, previous, where we are, next and last, and a page to go to.
fn pager(t: &TableView) -> impl IntoView {
    let link = |page: i64| {
        changed(t, |p| {
            p.page = if page > 1 {
                page.to_string()
            } else {
                String::new()
            };
        })
    };
    let (page, pages) = (t.page, t.pages);
    let back = (page > 1).then(|| {
        let (first, previous) = (link(1), link((page - 1).min(pages)));
        view! {
            <a class="button" href=first>
                "First"
            </a>
            <a class="button" rel="prev" href=previous>
                "Previous"
            </a>
        }
    });
    let forward = (page < pages).then(|| {
        let (next, last) = (link(page + 1), link(pages));
        view! {
            <a class="button" rel="next" href=next>
                "Next"
            </a>
            <a class="button" href=last>
                "Last"
            </a>
        }
    });
    let action = href::dataset_viewer(&t.slug, t.pinned.then_some(t.version));
    let hidden = hidden_fields([
        ("file", t.params.file.clone()),
        ("q", t.params.q.clone()),
        ("col", t.params.col.clone()),
        ("eq", t.params.eq.clone()),
        ("sort", t.params.sort.clone()),
        ("dir", t.params.dir.clone()),
    ]);
    view! {
        <nav class="pager" aria-label="Pages">
            <div class="pager-links">
                {back} <span class="pager-summary" aria-current="page">
                    {format!("Page {} of {}", format::grouped(page), format::grouped(pages))}
                </span> {forward}
            </div>
            <Form method="GET" action=action attr:class="viewer-jump">
                {hidden}
                <label for="viewer-page">"Go to page"</label>
                <input
                    id="viewer-page"
                    name="page"
                    type="number"
                    min="1"
                    max=pages.to_string()
                    value=page.to_string()
                    inputmode="numeric"
                />
                <button type="submit" class="button">
                    "Go"
                </button>
            </Form>
        </nav>
    }
}

/// Height of a histogram or top-values chart, and its width.
const CHART_HEIGHT: i64 = 60;
const CHART_WIDTH: i64 = 240;

/// One column: its type and counts, its range and mean, and its histogram
/// or most common values, drawn as SVG with the numbers in a table beside.
fn column_stats(t: &TableView, c: &ViewerColumn) -> impl IntoView {
    let kind = ColumnKind::parse(&c.kind);
    let facts = [
        Some(("Missing", format::grouped(c.nulls))),
        Some(("Distinct", format::grouped(c.distinct))),
        c.min.clone().map(|v| ("Min", v)),
        c.max.clone().map(|v| ("Max", v)),
        c.mean.clone().map(|v| ("Mean", v)),
    ]
    .into_iter()
    .flatten()
    .map(|(label, value)| {
        view! {
            <dt>{label}</dt>
            <dd class="num">{value}</dd>
        }
    })
    .collect_view();
    let chart = if kind.is_scalar() && !c.histogram.is_empty() {
        histogram(c).into_any()
    } else if !c.top.is_empty() {
        top_values(t, c).into_any()
    } else {
        ().into_any()
    };
    let description = (!c.description.is_empty()).then(|| view! { <p>{c.description.clone()}</p> });
    view! {
        <article class="card viewer-column">
            <h3>
                <code>{c.name.clone()}</code>
                <span class="viewer-type">{c.kind.clone()}</span>
            </h3>
            {description}
            <dl class="viewer-facts">{facts}</dl>
            {chart}
        </article>
    }
}

/// Bars of equal width, their heights the rows in each bin.
fn histogram(c: &ViewerColumn) -> impl IntoView {
    let most = c.histogram.iter().map(|b| b.rows).max().unwrap_or(0).max(1);
    let count = i64::try_from(c.histogram.len()).unwrap_or(1).max(1);
    let width = CHART_WIDTH / count;
    let bars = c
        .histogram
        .iter()
        .enumerate()
        .map(|(i, bin)| {
            let height = if bin.rows == 0 {
                0
            } else {
                (bin.rows * CHART_HEIGHT / most).max(1)
            };
            let x = i64::try_from(i).unwrap_or(0) * width;
            view! {
                <rect
                    x=x.to_string()
                    y=(CHART_HEIGHT - height).to_string()
                    width=(width - 1).max(1).to_string()
                    height=height.to_string()
                >
                    <title>{format!("{}: {} rows", bin.label, format::grouped(bin.rows))}</title>
                </rect>
            }
        })
        .collect_view();
    let label = format!(
        "Histogram of {}: {} bins from {} to {}",
        c.name,
        c.histogram.len(),
        c.histogram
            .first()
            .map(|b| b.label.clone())
            .unwrap_or_default(),
        c.histogram
            .last()
            .map(|b| b.label.clone())
            .unwrap_or_default()
    );
    let table = c
        .histogram
        .iter()
        .map(|b| {
            view! {
                <tr>
                    <td>{b.label.clone()}</td>
                    <td class="num">{format::grouped(b.rows)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <svg
            class="viewer-chart"
            viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}")
            preserveAspectRatio="none"
            role="img"
            aria-label=label
        >
            {bars}
        </svg>
        <details class="viewer-bins">
            <summary>"Histogram as a table"</summary>
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"Values"</th>
                        <th scope="col" class="num">
                            "Rows"
                        </th>
                    </tr>
                </thead>
                <tbody>{table}</tbody>
            </table>
        </details>
    }
}

/// The most common values, each a link filtering the table on it.
fn top_values(t: &TableView, c: &ViewerColumn) -> impl IntoView {
    let most = c.top.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    let items = c
        .top
        .iter()
        .map(|(value, rows)| {
            let width = (rows * CHART_WIDTH / most).max(1);
            let shown = value.clone();
            let label = if c.filterable && !t.preview_only {
                let link = changed(t, |p| {
                    p.col = c.name.clone();
                    p.eq = value.clone();
                    p.page = String::new();
                });
                view! { <a href=link>{shown}</a> }.into_any()
            } else {
                view! { <span>{shown}</span> }.into_any()
            };
            view! {
                <li>
                    <span class="viewer-top-label">{label}</span>
                    <span class="num">{format::grouped(*rows)}</span>
                    <svg
                        class="viewer-top-bar"
                        viewBox=format!("0 0 {CHART_WIDTH} 6")
                        preserveAspectRatio="none"
                        aria-hidden="true"
                    >
                        <rect x="0" y="0" width=width.to_string() height="6"></rect>
                    </svg>
                </li>
            }
        })
        .collect_view();
    view! {
        <p class="muted">"Most common values"</p>
        <ul class="viewer-top">{items}</ul>
    }
}
