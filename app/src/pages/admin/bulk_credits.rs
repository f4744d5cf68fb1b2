//! `/admin/credits/bulk`: grant credit to many users from a CSV file.
//!
//! Three steps, each a page of its own so that all of them work with plain
//! form posts (no JavaScript needed), and with client-side navigation when
//! the page is hydrated:
//!
//! 1. `/admin/credits/bulk`: upload a file (or paste its text). The server
//!    checks the file as a whole, keeps it and redirects to its preview; a
//!    problem comes back to this page in the URL, next to the field.
//! 2. `?draft=<id>`: every row checked, with its error if it has one, and
//!    the form that applies the file.
//! 3. `?run=<id>`: what applying did to each row.
//!
//! Steps 2 and 3 count the rows of the whole file but list them a page at a
//! time (`&page=<n>`), all of them or only those with problems
//! (`&show=problems`); every one of these is a plain link.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

use super::{admin_frame, load_error, page_param, pager, query_param};
use crate::api::admin::{get_bulk_grant, ApplyBulkGrant, UploadBulkGrant};
use crate::components::form::{action_error, field_error, FormError};
use crate::components::ui::{Badge, PageHeader, Tone};
use crate::domain::bulk_grant::{
    recipient_kind, BulkReport, BulkRowFilter, BulkRowStatus, BulkRowView, RecipientKind,
};
use crate::domain::credits::Credits;
use crate::error::AppError;
use crate::href;

/// `/admin/credits/bulk`.
#[component]
pub fn AdminBulkCreditsPage() -> impl IntoView {
    admin_frame("Bulk credit grants", || view! { <BulkView /> })
}

#[component]
fn BulkView() -> impl IntoView {
    let draft = query_param("draft");
    let run = query_param("run");
    let page = page_param();
    let show = query_param("show");
    // Created once, so an error brought back in the URL (no JavaScript) or
    // returned to the hydrated page survives the report's reloads.
    let apply = ServerAction::<ApplyBulkGrant>::new();
    let report = Resource::new(
        move || (draft.get(), run.get(), page.get(), show.get()),
        |(draft, run, page, show)| get_bulk_grant(draft, run, page, BulkRowFilter::parse(&show)),
    );
    view! {
        <p>
            <a href=href::admin_credits()>"← Credits"</a>
        </p>
        <PageHeader title="Bulk credit grants" />
        <Suspense fallback=|| {
            view! { <p class="muted">"Loading…"</p> }
        }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(None) => upload_form().into_any(),
                    Ok(Some(report)) => report_view(report, apply).into_any(),
                    Err(e) => {
                        view! {
                            {load_error(e)}
                            <p>
                                <a href=href::admin_bulk_credits()>"Upload a file"</a>
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The error of the last upload, when the server sent the browser back here
/// with it in the URL (what a form posted without JavaScript gets).
fn upload_error() -> Signal<Option<AppError>> {
    let query = use_query_map();
    Signal::derive(move || {
        let query = query.read();
        if query.get_str("__path") != Some(<UploadBulkGrant as ServerFn>::PATH) {
            return None;
        }
        query
            .get_str("__err")
            .map(ServerFnUrlError::<AppError>::decode_err)
    })
}

/// The ids an input is described by: its hint, and its error while shown.
fn described_by(
    hint: &'static str,
    error_id: &'static str,
    error: Signal<Option<String>>,
) -> impl Fn() -> String + Send + Sync + 'static {
    move || match error.get() {
        Some(_) => format!("{hint} {error_id}"),
        None => hint.to_owned(),
    }
}

/// Step 1: a file, or its text pasted, posted as `multipart/form-data`.
fn upload_form() -> impl IntoView {
    let error = upload_error();
    let file_error = field_error(error, "file");
    let csv_error = field_error(error, "csv");
    let action = <UploadBulkGrant as ServerFn>::PATH;
    view! {
        <p class="lead">
            "Upload a CSV file whose first row is the header "
            <code>"email,amount,expiry,reason"</code> " (name the first column "
            <code>"organization"</code>
            " to grant to organizations' pools by slug; a column may mix emails and slugs). Amounts are credits (up to 6 decimals); the expiry is optional, as "
            <code>"YYYY-MM-DD"</code>
            " (the credit expires at the end of that day, UTC). You see every row checked before anything is granted."
        </p>
        <form
            method="post"
            action=action
            enctype="multipart/form-data"
            class="form admin-bulk-form"
        >
            <FormError error />
            <div class="field">
                <label for="bulk-file">"CSV file"</label>
                <input
                    id="bulk-file"
                    name="file"
                    type="file"
                    accept=".csv,text/csv"
                    aria-invalid=move || file_error.get().map(|_| "true")
                    aria-describedby=described_by("bulk-file-hint", "bulk-file-error", file_error)
                />
                <p class="field-hint" id="bulk-file-hint">
                    "UTF-8 text, at most 1 MiB and 5,000 rows."
                </p>
                <Show when=move || file_error.get().is_some()>
                    <p class="field-error" id="bulk-file-error">
                        {move || file_error.get()}
                    </p>
                </Show>
            </div>
            <div class="field">
                <label for="csv">"Or paste the CSV text"</label>
                <textarea
                    id="csv"
                    name="csv"
                    rows=8
                    spellcheck="false"
                    autocomplete="off"
                    class="admin-csv"
                    aria-invalid=move || csv_error.get().map(|_| "true")
                    aria-describedby=described_by("csv-hint", "csv-error", csv_error)
                    placeholder="email,amount,expiry,reason\nada@example.org,100,2030-12-31,Hackathon prize"
                ></textarea>
                <p class="field-hint" id="csv-hint">
                    "Use either the file or this box. Nothing is granted until you apply the preview, and applying the same file again grants nothing twice."
                </p>
                <Show when=move || csv_error.get().is_some()>
                    <p class="field-error" id="csv-error">
                        {move || csv_error.get()}
                    </p>
                </Show>
            </div>
            <button type="submit" class="button">
                "Preview"
            </button>
        </form>
    }
}

/// Steps 2 and 3: a preview with the form that applies it, or a run's report.
fn report_view(mut report: BulkReport, apply: ServerAction<ApplyBulkGrant>) -> impl IntoView {
    let heading = if report.applied { "Result" } else { "Preview" };
    let summary = summary(&report);
    let ready = report.count(BulkRowStatus::Ready);
    let skipped = report.count(BulkRowStatus::Invalid);
    let source = report
        .file_name
        .clone()
        .unwrap_or_else(|| "Pasted text".to_owned());
    let when = if report.applied {
        "Applied"
    } else {
        "Uploaded"
    };
    let next_step = match (report.applied, ready, skipped) {
        (true, ..) => None,
        (false, 0, _) => Some("Nothing in this file can be granted now."),
        (false, _, 0) => None,
        (false, _, _) => Some("Rows with errors are skipped. To grant them, correct the file and upload it again: rows already granted are not granted twice."),
    };
    view! {
        <section aria-labelledby="report-heading" class="admin-bulk-report">
            <h2 id="report-heading">{heading}</h2>
            <p role="status">{summary}</p>
            <dl class="admin-facts">
                <dt>"File"</dt>
                <dd class="admin-break">{source.clone()}</dd>
                <dt>{when}</dt>
                <dd>{format!("{} by {}", report.at, report.by)}</dd>
                <dt>"SHA-256"</dt>
                <dd>
                    <code class="admin-break">{report.file_hash.clone()}</code>
                </dd>
            </dl>
            {next_step.map(|text| view! { <p class="muted">{text}</p> })}
            {(!report.applied && ready > 0).then(|| apply_form(&report, ready, apply))}
            {row_filter(&report)}
            {rows_list(&mut report, &source)}
            <p>
                <a href=href::admin_bulk_credits()>"Upload another file"</a>
            </p>
        </section>
    }
}

fn summary(report: &BulkReport) -> String {
    let total = Credits::from_micros(report.total_micros);
    let skipped = report.count(BulkRowStatus::Invalid);
    let before = report.count(BulkRowStatus::AlreadyGranted);
    if report.applied {
        format!(
            "{} granted ({total} credits), {before} already granted before, {skipped} skipped.",
            rows(report.count(BulkRowStatus::Granted))
        )
    } else {
        format!(
            "{} ready ({total} credits), {before} already granted, {skipped} with errors. Nothing has been granted yet.",
            rows(report.count(BulkRowStatus::Ready))
        )
    }
}

/// "1 row", "2 rows".
fn rows(n: i64) -> String {
    if n == 1 {
        "1 row".to_owned()
    } else {
        format!("{n} rows")
    }
}

/// Applies exactly the uploaded file that was previewed (by its id).
fn apply_form(
    report: &BulkReport,
    ready: i64,
    apply: ServerAction<ApplyBulkGrant>,
) -> impl IntoView {
    let error = action_error(apply.value());
    let draft = report.draft.to_string();
    let label = format!("Grant {}", rows(ready));
    view! {
        <ActionForm action=apply attr:class="form admin-action-form">
            <FormError error />
            <input type="hidden" name="draft" value=draft />
            <button type="submit" class="button" disabled=move || apply.pending().get()>
                {label}
            </button>
        </ActionForm>
    }
}

/// The query parameter naming this report: `draft` or `run`, and its id.
fn report_param(report: &BulkReport) -> (&'static str, String) {
    match report.run {
        Some(run) => ("run", run.to_string()),
        None => ("draft", report.draft.to_string()),
    }
}

/// Links that list every row or only those with problems, the one shown
/// marked as current; each starts at the first page.
fn row_filter(report: &BulkReport) -> impl IntoView {
    let (which, id) = report_param(report);
    let problems = if report.applied {
        "Skipped"
    } else {
        "With errors"
    };
    let choices = [
        (BulkRowFilter::All, "All rows"),
        (BulkRowFilter::Problems, problems),
    ];
    view! {
        <nav class="admin-tabs" aria-label="Rows listed">
            <ul>
                {choices
                    .into_iter()
                    .map(|(show, label)| {
                        let text = format!("{label} ({})", report.counts.listed(show));
                        let link = href::with_query(
                            href::admin_bulk_credits(),
                            &[(which, id.as_str()), ("show", show.as_query())],
                        );
                        view! {
                            <li>
                                <a href=link aria-current=(report.show == show).then_some("page")>
                                    {text}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

/// The page of rows shown (none past the last page), and the links to the
/// other pages.
fn rows_list(report: &mut BulkReport, source: &str) -> impl IntoView {
    if report.rows.total == 0 {
        let text = if report.applied {
            "No row was skipped."
        } else {
            "No row has an error."
        };
        return view! { <p class="muted">{text}</p> }.into_any();
    }
    let (which, id) = report_param(report);
    let nav = pager(
        &report.rows,
        href::admin_bulk_credits(),
        &[(which, id), ("show", report.show.as_query().to_owned())],
    );
    let items = std::mem::take(&mut report.rows.items);
    view! {
        {(!items.is_empty()).then(|| rows_table(items, source))}
        {nav}
    }
    .into_any()
}

fn rows_table(rows: Vec<BulkRowView>, source: &str) -> impl IntoView {
    let caption = format!("Rows of {source}");
    view! {
        // Scrolls sideways on narrow screens; focusable so keyboards can too.
        <div class="table-wrap" role="region" aria-labelledby="rows-caption" tabindex="0">
            <table class="data-table">
                <caption id="rows-caption">{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Line"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Recipient"</th>
                        <th scope="col">"Amount"</th>
                        <th scope="col">"Expiry"</th>
                        <th scope="col">"Reason"</th>
                    </tr>
                </thead>
                <tbody>{rows.into_iter().map(row_view).collect_view()}</tbody>
            </table>
        </div>
    }
}

fn row_view(row: BulkRowView) -> impl IntoView {
    let tone = match row.status {
        BulkRowStatus::Ready => Tone::Accent,
        BulkRowStatus::Granted => Tone::Good,
        BulkRowStatus::AlreadyGranted => Tone::Neutral,
        BulkRowStatus::Invalid => Tone::Bad,
    };
    view! {
        <tr>
            <th scope="row" class="num">
                {row.line}
            </th>
            <td data-label="Status" class="admin-bulk-status">
                <div>
                    <Badge tone text=row.status.label() />
                    {row
                        .message
                        .map(|m| {
                            view! {
                                " "
                                <span class="field-error admin-row-error">{m}</span>
                            }
                        })}
                </div>
            </td>
            <td data-label="Recipient" class="admin-break">
                {(recipient_kind(&row.email) == RecipientKind::Organization)
                    .then(|| {
                        view! {
                            <Badge tone=Tone::Neutral text="Organization" />
                            " "
                        }
                    })}
                {row.email}
            </td>
            <td data-label="Amount" class="num">
                {row.amount}
            </td>
            <td data-label="Expiry" class="admin-nowrap">
                {row.expiry}
            </td>
            <td data-label="Reason" class="admin-prose">
                {row.reason}
            </td>
        </tr>
    }
}
