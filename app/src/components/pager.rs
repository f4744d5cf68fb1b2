//! The pager under every paged list: "Showing X–Y of Z", the Previous and
//! Next links and, between them, "Page N of M" marked as the current page.
//! Plain links, so it works without JavaScript.

use leptos::prelude::*;

use crate::domain::paging::Page;
use crate::href;

/// The pager of `page`, a page of the list at `path`. `params` are the
/// list's other query parameters (filters), kept on every link; page 1 has
/// no `page` parameter, so its links stay short.
pub fn pager<T>(page: &Page<T>, path: &str, params: &[(&'static str, String)]) -> impl IntoView {
    let link = |n: i64| {
        let number = n.to_string();
        let mut all: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if n > 1 {
            all.push(("page", &number));
        }
        href::with_query(path, &all)
    };
    // Past the end (an old link), "Previous" leads back to the last page.
    let last_page = page.page_count();
    let previous = page
        .has_previous()
        .then(|| link((page.page - 1).min(last_page)));
    let next = page.has_next().then(|| link(page.page + 1));
    // Past the end, the summary already says which page this is.
    let position = (page.page <= last_page).then(|| format!("Page {} of {last_page}", page.page));
    let summary = if page.items.is_empty() {
        format!("Nothing on page {} of {} results.", page.page, page.total)
    } else {
        format!(
            "Showing {}–{} of {}",
            page.first_shown(),
            page.last_shown(),
            page.total
        )
    };
    view! {
        <nav class="pager" aria-label="Pages">
            <p class="pager-summary">{summary}</p>
            <div class="pager-links">
                {previous
                    .map(|h| {
                        view! {
                            <a class="button" rel="prev" href=h>
                                "Previous"
                            </a>
                        }
                    })}
                {position
                    .map(|text| {
                        view! {
                            <span class="pager-summary" aria-current="page">
                                {text}
                            </span>
                        }
                    })}
                {next
                    .map(|h| {
                        view! {
                            <a class="button" rel="next" href=h>
                                "Next"
                            </a>
                        }
                    })}
            </div>
        </nav>
    }
}
