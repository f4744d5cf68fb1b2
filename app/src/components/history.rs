//! The table of ledger movements, shared by the credits page and the admin
//! account lookup.

use leptos::prelude::*;

use crate::api::credits::HistoryView;
use crate::domain::credits::Credits;

/// A signed amount of micro-credits for people: `+2.5`, `-1`, or a dash.
pub fn signed(micros: i64) -> String {
    match micros {
        0 => "–".to_owned(),
        m if m > 0 => format!("+{}", Credits::from_micros(m)),
        m => Credits::from_micros(m).to_string(),
    }
}

/// Movements of one account, newest first.
#[component]
pub fn HistoryTable(rows: Vec<HistoryView>) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0">
            <table class="data-table">
                <caption class="visually-hidden">"Credit history, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Available"</th>
                        <th scope="col">"Reserved"</th>
                        <th scope="col">"Details"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|r| {
                            view! {
                                <tr>
                                    <td data-label="When" class="admin-nowrap">
                                        {r.when}
                                    </td>
                                    <td data-label="Kind">{r.kind}</td>
                                    <td data-label="Available" class="num">
                                        {signed(r.available_delta)}
                                    </td>
                                    <td data-label="Reserved" class="num">
                                        {signed(r.reserved_delta)}
                                    </td>
                                    <td data-label="Details" class="admin-prose">
                                        {r.memo}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
