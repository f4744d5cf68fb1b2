//! `/usage`: the signed-in user's requests to the inference API: daily
//! totals by model over the last 30 days as a chart, and the request log
//! with filters. Filters, the chart's measure and the page live in the URL,
//! so links, the back button and the form work without JavaScript.

pub(crate) mod chart;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::load_error;
use crate::api::usage::{
    my_usage, my_usage_chart, my_usage_filters, Metric, UsageFilters, UsageLog, UsageView,
};
use crate::components::guard::RequireUser;
use crate::components::pager::pager;
use crate::components::ui::PageHeader;
use crate::domain::credits::Credits;
use crate::domain::paging::page_from_query;
use crate::error::AppError;
use crate::format::grouped;
use crate::href;

/// `/usage`.
#[component]
pub fn UsagePage() -> impl IntoView {
    view! {
        <Title text="Usage" />
        <RequireUser children=|_| view! { <Usage /> } />
    }
}

/// The log's filters and page, as in the URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Query {
    page: i64,
    model: String,
    key: String,
    status: String,
    from: String,
    to: String,
    metric: Metric,
}

impl Query {
    /// The URL of this query's `page` of the log.
    fn link(&self, page: i64) -> String {
        let page = if page > 1 {
            page.to_string()
        } else {
            String::new()
        };
        let mut params = self.params();
        params.push(("page", page));
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        href::with_query(href::usage(), &params)
    }

    /// The query parameters of this query but its page.
    fn params(&self) -> Vec<(&'static str, String)> {
        let metric = if self.metric == Metric::Credits {
            ""
        } else {
            self.metric.as_str()
        };
        vec![
            ("model", self.model.clone()),
            ("key", self.key.clone()),
            ("status", self.status.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("metric", metric.to_owned()),
        ]
    }

    /// Whether any filter is set.
    fn filtered(&self) -> bool {
        [&self.model, &self.key, &self.status, &self.from, &self.to]
            .iter()
            .any(|v| !v.is_empty())
    }
}

#[component]
fn Usage() -> impl IntoView {
    let url = use_query_map();
    let query = Memo::new(move |_| {
        let q = url.read();
        let text = |name: &str| q.get(name).map(|v| v.trim().to_owned()).unwrap_or_default();
        Query {
            page: page_from_query(q.get_str("page")),
            model: text("model"),
            key: text("key"),
            status: text("status"),
            from: text("from"),
            to: text("to"),
            metric: Metric::parse(&text("metric")),
        }
    });
    let log = Resource::new(
        move || query.get(),
        |q| my_usage(q.page, q.model, q.key, q.status, q.from, q.to),
    );
    let chart = Resource::new(
        move || query.with(|q| q.metric),
        |metric| my_usage_chart(metric.as_str().to_owned()),
    );
    let filters = Resource::new(|| (), |_| my_usage_filters());

    view! {
        <section class="container page usage-page">
            <PageHeader
                eyebrow="Inference API"
                title="Usage"
                lead="Every request your API keys made, what it cost, and your daily totals."
            >
                <a
                    class="button"
                    href=href::with_query(
                        href::support_new(),
                        &[("from", href::usage()), ("category", "api")],
                    )
                >
                    "Get help"
                </a>
            </PageHeader>
            <section class="usage-section" aria-labelledby="chart-heading">
                <h2 id="chart-heading">"Last 30 days"</h2>
                <MetricSwitch query />
                <Suspense fallback=|| {
                    view! { <p class="muted">"Loading…"</p> }
                }>
                    {move || Suspend::new(async move {
                        match chart.await {
                            Ok(chart) => chart::usage_chart(chart).into_any(),
                            Err(e) => load_error(e).into_any(),
                        }
                    })}
                </Suspense>
            </section>
            <section class="usage-section" aria-labelledby="log-heading">
                <h2 id="log-heading">"Requests"</h2>
                <Suspense fallback=|| {
                    view! { <p class="muted">"Loading…"</p> }
                }>
                    {move || {
                        let q = query.get();
                        Suspend::new(async move {
                            let options = filters
                                .await
                                .unwrap_or(UsageFilters {
                                    models: Vec::new(),
                                    keys: Vec::new(),
                                });
                            let result = log.await;
                            let error = result.as_ref().err().cloned();
                            view! {
                                {filter_form(&q, options, error.as_ref())}
                                {match result {
                                    Ok(page) => log_view(page, &q).into_any(),
                                    Err(e @ AppError::Validation(_)) => {
                                        view! {
                                            <p class="form-error" role="alert">
                                                {e.to_string()}
                                            </p>
                                        }
                                            .into_any()
                                    }
                                    Err(e) => load_error(e).into_any(),
                                }}
                            }
                        })
                    }}
                </Suspense>
            </section>
        </section>
    }
}

/// Links choosing what the chart measures.
#[component]
fn MetricSwitch(query: Memo<Query>) -> impl IntoView {
    view! {
        <nav class="metric-switch" aria-label="Chart measure">
            <ul>
                {Metric::ALL
                    .into_iter()
                    .map(|metric| {
                        let link = move || {
                            let mut q = query.get();
                            q.metric = metric;
                            q.link(q.page)
                        };
                        let current = move || (query.get().metric == metric).then_some("true");
                        view! {
                            <li>
                                <a href=link aria-current=current>
                                    {metric.label()}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

/// The GET form of the log's filters.
fn filter_form(q: &Query, options: UsageFilters, error: Option<&AppError>) -> impl IntoView {
    let message = |field: &str| {
        error
            .and_then(|e| e.field_message(field))
            .map(str::to_owned)
    };
    let invalid = |field: &str| message(field).map(|_| "true");
    let described = |field: &str| message(field).map(|_| format!("{field}-error"));
    let field_error = |field: &'static str| {
        message(field).map(|m| {
            view! {
                <p class="field-error" id=format!("{field}-error")>
                    {m}
                </p>
            }
        })
    };
    // A filtered model no longer listed (or typed into the URL) stays
    // choosable, so the form shows what the list shows.
    let mut models = options.models;
    if !q.model.is_empty() && !models.contains(&q.model) {
        models.push(q.model.clone());
    }
    let metric = (q.metric != Metric::Credits).then(|| q.metric.as_str());
    view! {
        <form method="get" action=href::usage() class="filter-bar" aria-label="Filter requests">
            <div class="field">
                <label for="model">"Model"</label>
                <select id="model" name="model">
                    <option value="" selected=q.model.is_empty()>
                        "All models"
                    </option>
                    {models
                        .into_iter()
                        .map(|m| {
                            let selected = m == q.model;
                            let label = m.clone();
                            view! {
                                <option value=m selected=selected>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="key">"Key"</label>
                <select
                    id="key"
                    name="key"
                    aria-invalid=invalid("key")
                    aria-describedby=described("key")
                >
                    <option value="" selected=q.key.is_empty()>
                        "All keys"
                    </option>
                    {options
                        .keys
                        .into_iter()
                        .map(|k| {
                            let selected = k.id == q.key;
                            view! {
                                <option value=k.id selected=selected>
                                    {k.label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                {field_error("key")}
            </div>
            <div class="field">
                <label for="status">"Status"</label>
                <select
                    id="status"
                    name="status"
                    aria-invalid=invalid("status")
                    aria-describedby=described("status")
                >
                    <option value="" selected=q.status.is_empty()>
                        "All requests"
                    </option>
                    <option value="ok" selected=q.status == "ok">
                        "Successful"
                    </option>
                    <option value="error" selected=q.status == "error">
                        "Failed"
                    </option>
                </select>
                {field_error("status")}
            </div>
            <div class="field">
                <label for="from">"From"</label>
                <input
                    id="from"
                    name="from"
                    type="date"
                    value=q.from.clone()
                    aria-invalid=invalid("from")
                    aria-describedby=described("from")
                />
                {field_error("from")}
            </div>
            <div class="field">
                <label for="to">"To"</label>
                <input
                    id="to"
                    name="to"
                    type="date"
                    value=q.to.clone()
                    aria-invalid=invalid("to")
                    aria-describedby=described("to")
                />
                {field_error("to")}
            </div>
            {metric.map(|m| view! { <input type="hidden" name="metric" value=m /> })}
            <div class="filter-bar-actions">
                <button type="submit" class="button">
                    "Filter"
                </button>
                {q
                    .filtered()
                    .then(|| {
                        view! {
                            <a href=href::usage() class="button">
                                "Clear"
                            </a>
                        }
                    })}
            </div>
        </form>
    }
}

fn log_view(log: UsageLog, q: &Query) -> impl IntoView {
    let page = log.requests;
    if page.items.is_empty() {
        let (title, text) = if page.total > 0 {
            (
                "Nothing on this page",
                format!(
                    "There are {} matching requests on earlier pages.",
                    page.total
                ),
            )
        } else if q.filtered() {
            (
                "No matching requests",
                "No request matches these filters. Try fewer of them.".to_owned(),
            )
        } else {
            (
                "No requests yet",
                "Requests made with your API keys are listed here, with their tokens and cost."
                    .to_owned(),
            )
        };
        let first_time = page.total == 0 && !q.filtered();
        return view! {
            <div class="empty-state" role="status">
                <h3>{title}</h3>
                <p>{text}</p>
                {first_time
                    .then(|| {
                        view! {
                            <A href=href::keys() attr:class="button">
                                "Create an API key"
                            </A>
                        }
                    })}
            </div>
        }
        .into_any();
    }
    let summary = format!(
        "{} requests · {} tokens in · {} tokens out · {} credits",
        grouped(page.total),
        grouped(log.input_tokens),
        grouped(log.output_tokens),
        Credits::from_micros(log.credits)
    );
    let nav = pager(&page, href::usage(), &q.params());
    view! {
        <p class="usage-summary" data-testid="usage-summary">
            {summary}
        </p>
        <div class="table-wrap" role="region" aria-label="Requests table" tabindex="0">
            <table class="usage-table data-table">
                <caption class="visually-hidden">"Requests, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Time"</th>
                        <th scope="col">"Model"</th>
                        <th scope="col">"Key"</th>
                        <th scope="col" class="num">
                            "Tokens in"
                        </th>
                        <th scope="col" class="num">
                            "Tokens out"
                        </th>
                        <th scope="col" class="num">
                            "Credits"
                        </th>
                        <th scope="col" class="num">
                            "Latency"
                        </th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>{page.items.into_iter().map(usage_row).collect_view()}</tbody>
            </table>
        </div>
        {nav}
    }
    .into_any()
}

fn usage_row(row: UsageView) -> impl IntoView {
    let ok = row.status < 400;
    let status_class = if ok {
        "usage-status usage-status-ok"
    } else {
        "usage-status usage-status-error"
    };
    let status_word = if ok {
        "OK".to_owned()
    } else {
        format!("Error {}", row.status)
    };
    let reason = status_reason(row.status);
    // A request refused before its model could be read names none.
    let model = if row.model.is_empty() {
        view! { <span class="muted">"unreadable request"</span> }.into_any()
    } else {
        view! { <code>{row.model}</code> }.into_any()
    };
    let endpoint = match (row.endpoint.as_str(), row.streamed) {
        ("embeddings", _) => "embeddings",
        (_, true) => "chat, streamed",
        _ => "chat",
    };
    // Our own count is an estimate beside the provider's report: say so.
    let counted = row.counted_by.map(|by| format!("counted by us ({by})"));
    view! {
        <tr data-usage-id=row.id>
            <td data-label="Time" class="nowrap">
                {row.when}
            </td>
            // A cell of several parts is one block, so that on a phone it
            // stays together beside its column's name.
            <td data-label="Model">
                <div>{model} <span class="usage-detail">{endpoint}</span></div>
            </td>
            <td data-label="Key">
                <div>
                    {row.key_name.unwrap_or_else(|| "Portal".to_owned())}
                    <span class="usage-detail">{row.key_prefix}</span>
                </div>
            </td>
            <td data-label="Tokens in" class="num">
                <div>
                    {grouped(i64::from(row.input_tokens))}
                    {counted.clone().map(|by| view! { <span class="usage-detail">{by}</span> })}
                </div>
            </td>
            <td data-label="Tokens out" class="num">
                <div>
                    {grouped(i64::from(row.output_tokens))}
                    {counted.map(|by| view! { <span class="usage-detail">{by}</span> })}
                </div>
            </td>
            <td data-label="Credits" class="num">
                {Credits::from_micros(row.credits).to_string()}
            </td>
            <td data-label="Latency" class="num nowrap">
                {format!("{} ms", grouped(i64::from(row.latency_ms)))}
            </td>
            <td data-label="Status" class="nowrap">
                <div>
                    <span class=status_class>
                        {if ok { format!("{status_word} {}", row.status) } else { status_word }}
                    </span>
                    {reason.map(|r| view! { <span class="usage-detail">{r}</span> })}
                </div>
            </td>
        </tr>
    }
}

/// What a failed request's status means, in words.
fn status_reason(status: i16) -> Option<&'static str> {
    Some(match status {
        400 => "request not valid",
        402 => "not enough credit, or the key's spend cap reached",
        403 => "model not available, or account suspended",
        404 => "unknown model",
        429 => "rate limited",
        499 => "client went away",
        500 => "portal error",
        502 => "model provider failed",
        504 => "model provider timed out",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_filters_and_drop_defaults() {
        let q = Query {
            page: 3,
            model: "lab chat".to_owned(),
            status: "error".to_owned(),
            metric: Metric::Tokens,
            ..Query::default()
        };
        assert_eq!(
            q.link(2),
            "/usage?model=lab+chat&status=error&metric=tokens&page=2"
        );
        assert_eq!(Query::default().link(1), href::usage());
        assert!(q.filtered());
        assert!(!Query::default().filtered());
    }
}
