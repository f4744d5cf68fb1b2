//! `/admin/credits/bulk`: grant credit to many users from a pasted CSV file:
//! preview every row first, then apply, and read what happened to each row.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::{admin_frame, tag};
use crate::api::admin::{ApplyBulkGrant, BulkReport, BulkRowStatus, BulkRowView, PreviewBulkGrant};
use crate::components::form::{action_error, field_error, FormError};
use crate::domain::credits::Credits;

/// `/admin/credits/bulk`.
#[component]
pub fn AdminBulkCreditsPage() -> impl IntoView {
    admin_frame("Bulk credit grants", || view! { <BulkView /> })
}

#[component]
fn BulkView() -> impl IntoView {
    let preview = ServerAction::<PreviewBulkGrant>::new();
    let apply = ServerAction::<ApplyBulkGrant>::new();
    let error = action_error(preview.value());
    let csv_error = field_error(error, "csv");
    view! {
        <p>
            <a href="/admin/credits">"← Credits"</a>
        </p>
        <h1>"Bulk credit grants"</h1>
        <p class="lead">
            "Paste a CSV file with the header row " <code>"email,amount,expiry,reason"</code>
            ". Amounts are credits (up to 6 decimals); the expiry is optional, as "
            <code>"YYYY-MM-DD"</code> " (the credit expires at the end of that day, UTC). At most 5,000 rows."
        </p>
        <noscript>
            <p class="form-error">"Previewing and applying a file needs JavaScript; single grants work without it."</p>
        </noscript>
        <ActionForm action=preview attr:class="form admin-bulk-form">
            <FormError error />
            <div class="field">
                <label for="csv">"CSV"</label>
                <textarea
                    id="csv"
                    name="csv"
                    rows=10
                    required=true
                    spellcheck="false"
                    class="admin-csv"
                    aria-describedby="csv-hint"
                    aria-invalid=move || csv_error.get().map(|_| "true")
                    placeholder="email,amount,expiry,reason\nada@example.org,100,2030-12-31,Hackathon prize"
                ></textarea>
                <p class="field-hint" id="csv-hint">
                    "Nothing is granted until you apply the preview. Applying the same file again grants nothing twice."
                </p>
                <Show when=move || csv_error.get().is_some()>
                    <p class="field-error" id="csv-error">{move || csv_error.get()}</p>
                </Show>
            </div>
            <button type="submit" class="button" disabled=move || preview.pending().get()>
                "Preview"
            </button>
        </ActionForm>
        {move || {
            // The latest result wins: an applied run after its preview.
            let applied = apply.value().get();
            match applied {
                Some(Ok(report)) => report_view(report, apply).into_any(),
                Some(Err(e)) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                None => match preview.value().get() {
                    Some(Ok(report)) => report_view(report, apply).into_any(),
                    _ => ().into_any(),
                },
            }
        }}
    }
}

fn report_view(report: BulkReport, apply: ServerAction<ApplyBulkGrant>) -> impl IntoView {
    let heading = if report.applied { "Result" } else { "Preview" };
    let summary = summary(&report);
    let ready = report.count(BulkRowStatus::Ready);
    view! {
        <section aria-labelledby="report-heading" class="admin-bulk-report">
            <h2 id="report-heading">{heading}</h2>
            <p role="status">{summary}</p>
            <p class="muted">"File SHA-256: " <code class="admin-break">{report.file_hash.clone()}</code></p>
            {(!report.applied && ready > 0).then(|| apply_form(&report, ready, apply))}
            {rows_table(report.rows)}
        </section>
    }
}

fn summary(report: &BulkReport) -> String {
    let total = Credits::from_micros(report.total_micros);
    let skipped = report.count(BulkRowStatus::Invalid);
    let before = report.count(BulkRowStatus::AlreadyGranted);
    if report.applied {
        format!(
            "{} rows granted ({total} credits), {before} already granted before, {skipped} skipped.",
            report.count(BulkRowStatus::Granted)
        )
    } else {
        format!(
            "{} rows ready ({total} credits), {before} already granted, {skipped} with errors. Nothing has been granted yet.",
            report.count(BulkRowStatus::Ready)
        )
    }
}

/// Applies exactly the text that was previewed.
fn apply_form(
    report: &BulkReport,
    ready: usize,
    apply: ServerAction<ApplyBulkGrant>,
) -> impl IntoView {
    let csv = report.csv.clone();
    view! {
        <ActionForm action=apply attr:class="form admin-action-form">
            <input type="hidden" name="csv" value=csv />
            <button type="submit" class="button" disabled=move || apply.pending().get()>
                {format!("Grant {ready} rows")}
            </button>
        </ActionForm>
    }
}

fn rows_table(rows: Vec<BulkRowView>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table>
                <caption class="visually-hidden">"Rows of the file"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Line"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Amount"</th>
                        <th scope="col">"Expiry"</th>
                        <th scope="col">"Reason"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>{rows.into_iter().map(row_view).collect_view()}</tbody>
            </table>
        </div>
    }
}

fn row_view(row: BulkRowView) -> impl IntoView {
    let status = match row.status {
        BulkRowStatus::Ready => tag("accent", row.status.label()),
        BulkRowStatus::Granted => tag("good", row.status.label()),
        BulkRowStatus::AlreadyGranted => tag("neutral", row.status.label()),
        BulkRowStatus::Invalid => tag("bad", row.status.label()),
    };
    view! {
        <tr>
            <td class="num">{row.line}</td>
            <td class="admin-break">{row.email}</td>
            <td class="num">{row.amount}</td>
            <td class="admin-nowrap">{row.expiry}</td>
            <td class="admin-prose">{row.reason}</td>
            <td>
                {status}
                {row.message.map(|m| view! { " " <span class="field-error admin-row-error">{m}</span> })}
            </td>
        </tr>
    }
}
