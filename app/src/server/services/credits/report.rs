//! The report of a bulk grant file, a page at a time: a preview is checked
//! whole, counted, then cut into pages; a run's stored rows are read a page
//! at a time. Pages list [`BULK_PER_PAGE`] rows.

use super::bulk::{Draft, RowsWanted, Run};
use super::{BulkOutcome, RowStatus};
use crate::domain::bulk_grant::{
    BulkCounts, BulkReport, BulkRowFilter, BulkRowStatus, BulkRowView, BULK_PER_PAGE,
};
use crate::domain::paging::{clamp_page, Page};
use crate::format;

/// One row of a bulk file as pages show it.
fn bulk_row(
    line: usize,
    email: String,
    amount: String,
    expiry: String,
    reason: String,
    status: RowStatus,
) -> BulkRowView {
    let (status, message) = match status {
        RowStatus::Ready => (BulkRowStatus::Ready, None),
        RowStatus::Invalid(m) => (BulkRowStatus::Invalid, Some(m)),
        RowStatus::Granted => (BulkRowStatus::Granted, None),
        RowStatus::AlreadyGranted => (BulkRowStatus::AlreadyGranted, None),
    };
    BulkRowView {
        line: i64::try_from(line).unwrap_or(i64::MAX),
        email,
        amount,
        expiry,
        reason,
        status,
        message,
    }
}

/// Page `page` of the `rows` that `show` lists, and every row's status
/// counted: the preview of a file is checked whole, then cut into pages.
pub fn paged_rows(
    rows: impl IntoIterator<Item = BulkRowView>,
    show: BulkRowFilter,
    page: i64,
) -> (BulkCounts, Page<BulkRowView>) {
    let page = clamp_page(page);
    let skip = usize::try_from((page - 1).saturating_mul(BULK_PER_PAGE)).unwrap_or(usize::MAX);
    let per_page = usize::try_from(BULK_PER_PAGE).unwrap_or(usize::MAX);
    let mut counts = BulkCounts::default();
    let mut items = Vec::new();
    let mut listed = 0_usize;
    for row in rows {
        *match row.status {
            BulkRowStatus::Ready => &mut counts.ready,
            BulkRowStatus::Invalid => &mut counts.invalid,
            BulkRowStatus::Granted => &mut counts.granted,
            BulkRowStatus::AlreadyGranted => &mut counts.already_granted,
        } += 1;
        if !show.lists(row.status) {
            continue;
        }
        if listed >= skip && items.len() < per_page {
            items.push(row);
        }
        listed += 1;
    }
    let rows = Page::new(items, counts.listed(show), page, BULK_PER_PAGE);
    (counts, rows)
}

/// The rows of a stored run that page `page` of `show` lists.
pub fn rows_wanted(show: BulkRowFilter, page: i64) -> RowsWanted {
    RowsWanted {
        skipped_only: show == BulkRowFilter::Problems,
        page: clamp_page(page),
        per_page: BULK_PER_PAGE,
    }
}

/// Page `page` of the preview of a draft (the rows `show` lists): what
/// applying it now would do.
pub fn preview_report(
    draft: &Draft,
    outcome: BulkOutcome,
    show: BulkRowFilter,
    page: i64,
) -> BulkReport {
    let rows = outcome
        .rows
        .into_iter()
        .map(|(r, status)| bulk_row(r.line, r.email, r.amount, r.expiry, r.reason, status));
    let (counts, rows) = paged_rows(rows, show, page);
    BulkReport {
        applied: false,
        draft: draft.id,
        run: None,
        file_name: draft.file_name.clone(),
        at: format::time(draft.created_at),
        by: draft.created_by.clone(),
        file_hash: outcome.file_hash,
        counts,
        show,
        rows,
        total_micros: outcome.total_micros,
    }
}

/// The stored report of a run, read with `rows_wanted(show, page)`.
pub fn run_report(run: Run, show: BulkRowFilter, page: i64) -> BulkReport {
    let items = run
        .rows
        .into_iter()
        .map(|r| bulk_row(r.line, r.email, r.amount, r.expiry, r.reason, r.status))
        .collect();
    let page = Page::new(items, run.listed, page, BULK_PER_PAGE);
    BulkReport {
        applied: true,
        draft: run.draft_id,
        run: Some(run.id),
        file_name: run.file_name,
        at: format::time(run.created_at),
        by: run.created_by,
        file_hash: run.file_hash,
        counts: BulkCounts {
            ready: 0,
            invalid: run.counts.skipped,
            granted: run.counts.granted,
            already_granted: run.counts.already_granted,
        },
        show,
        rows: page,
        total_micros: run.total_micros,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows on lines 2.. with `statuses`, in order.
    fn rows(statuses: &[BulkRowStatus]) -> Vec<BulkRowView> {
        statuses
            .iter()
            .zip(2..)
            .map(|(&status, line)| BulkRowView {
                line,
                email: format!("u{line}@example.org"),
                amount: "1".to_owned(),
                expiry: String::new(),
                reason: "x".to_owned(),
                status,
                message: (status == BulkRowStatus::Invalid).then(|| "No.".to_owned()),
            })
            .collect()
    }

    fn lines(page: &Page<BulkRowView>) -> Vec<i64> {
        page.items.iter().map(|r| r.line).collect()
    }

    #[test]
    fn a_preview_is_counted_whole_and_cut_into_pages_of_a_hundred_rows() {
        let mut statuses = vec![BulkRowStatus::Ready; 230];
        statuses[10] = BulkRowStatus::Invalid;
        statuses[150] = BulkRowStatus::Invalid;
        statuses[151] = BulkRowStatus::AlreadyGranted;
        let whole = BulkCounts {
            ready: 227,
            invalid: 2,
            granted: 0,
            already_granted: 1,
        };
        let (counts, first) = paged_rows(rows(&statuses), BulkRowFilter::All, 1);
        assert_eq!(counts, whole);
        assert_eq!((first.total, first.page, first.per_page), (230, 1, 100));
        assert_eq!(lines(&first), (2..=101).collect::<Vec<_>>());
        let (_, last) = paged_rows(rows(&statuses), BulkRowFilter::All, 3);
        assert_eq!(lines(&last), (202..=231).collect::<Vec<_>>());
        let (_, beyond) = paged_rows(rows(&statuses), BulkRowFilter::All, 4);
        assert!(beyond.items.is_empty() && beyond.total == 230);
        let (_, below) = paged_rows(rows(&statuses), BulkRowFilter::All, 0);
        assert_eq!(lines(&below), lines(&first));

        let (counts, problems) = paged_rows(rows(&statuses), BulkRowFilter::Problems, 1);
        assert_eq!(counts, whole, "the filter does not change the counts");
        assert_eq!((problems.total, lines(&problems)), (2, vec![12, 152]));
        let (_, none) = paged_rows(rows(&statuses), BulkRowFilter::Problems, 2);
        assert!(none.items.is_empty());
    }
}
