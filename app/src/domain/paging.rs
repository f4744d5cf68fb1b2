//! Paging: one page of a longer list, and the arithmetic every paged list
//! shares (page numbers from a URL, clamping, `limit`/`offset`, which rows a
//! page shows and how many pages there are).
//!
//! Pages are 1-based everywhere. A page past the last one is empty, not an
//! error: old links keep working.

use serde::{Deserialize, Serialize};

/// The largest page number anyone can ask for; beyond it the offset would
/// overflow long before it mattered.
pub const MAX_PAGE: i64 = 1_000_000;

/// The largest page any list returns, whatever the caller asks for.
pub const MAX_PER_PAGE: i64 = 200;

/// One page of a longer list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Matching rows on all pages.
    pub total: i64,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    /// Page `page` (clamped to `1..=MAX_PAGE`) of `total` rows, `per_page`
    /// at a time, holding `items`.
    pub fn new(items: Vec<T>, total: i64, page: i64, per_page: i64) -> Self {
        Self {
            items,
            total,
            page: clamp_page(page),
            per_page,
        }
    }

    /// This page with each item converted.
    pub fn map<U>(self, convert: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(convert).collect(),
            total: self.total,
            page: self.page,
            per_page: self.per_page,
        }
    }

    /// The position of the first row shown (1-based), or 0 when none is.
    pub fn first_shown(&self) -> i64 {
        if self.items.is_empty() {
            0
        } else {
            (self.page - 1).saturating_mul(self.per_page) + 1
        }
    }

    /// The position of the last row shown, or 0 when none is.
    pub fn last_shown(&self) -> i64 {
        if self.items.is_empty() {
            0
        } else {
            // A page never holds more than `i64::MAX` rows; saturate if it did.
            let shown = i64::try_from(self.items.len()).unwrap_or(i64::MAX);
            self.first_shown().saturating_add(shown) - 1
        }
    }

    /// Whether an earlier page exists.
    pub fn has_previous(&self) -> bool {
        self.page > 1
    }

    /// Whether a later page has rows.
    pub fn has_next(&self) -> bool {
        self.page.saturating_mul(self.per_page) < self.total
    }

    /// How many pages the rows fill; at least 1, even when there are none.
    pub fn page_count(&self) -> i64 {
        page_count(self.total, self.per_page)
    }
}

/// `page` within `1..=MAX_PAGE`.
pub fn clamp_page(page: i64) -> i64 {
    page.clamp(1, MAX_PAGE)
}

/// The page a `?page=` value asks for: 1 when it is absent or not a
/// positive number, at most [`MAX_PAGE`].
pub fn page_from_query(value: Option<&str>) -> i64 {
    value
        .and_then(|p| p.trim().parse::<i64>().ok())
        .filter(|p| *p >= 1)
        .map_or(1, clamp_page)
}

/// How many pages `total` rows fill, `per_page` at a time; at least 1.
pub fn page_count(total: i64, per_page: i64) -> i64 {
    let per_page = per_page.max(1);
    (total.max(0).saturating_add(per_page - 1) / per_page).max(1)
}

/// The `limit` and `offset` reading page `page` of `per_page` rows: a page
/// below 1 reads as 1, and the size is clamped to `1..=MAX_PER_PAGE`.
pub fn limit_offset(page: i64, per_page: i64) -> (i64, i64) {
    let per_page = per_page.clamp(1, MAX_PER_PAGE);
    (
        per_page,
        page.max(1).saturating_sub(1).saturating_mul(per_page),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(items: usize, total: i64, page: i64) -> Page<()> {
        Page::new(vec![(); items], total, page, 25)
    }

    #[test]
    fn a_page_knows_which_rows_it_shows_and_whether_more_exist() {
        let middle = page(25, 60, 2);
        assert_eq!((middle.first_shown(), middle.last_shown()), (26, 50));
        assert!(middle.has_previous() && middle.has_next());
        let last = page(10, 60, 3);
        assert_eq!((last.first_shown(), last.last_shown()), (51, 60));
        assert!(!last.has_next());
        let beyond = page(0, 60, 9);
        assert_eq!((beyond.first_shown(), beyond.last_shown()), (0, 0));
        assert!(beyond.has_previous() && !beyond.has_next());
        let first = page(25, 25, 1);
        assert!(!first.has_previous() && !first.has_next());
    }

    #[test]
    fn page_numbers_are_clamped_to_one_through_a_million() {
        assert_eq!(page(0, 0, 0).page, 1);
        assert_eq!(page(0, 0, -7).page, 1);
        assert_eq!(page(0, 0, i64::MAX).page, MAX_PAGE);
        let far = Page::new(vec![()], i64::MAX, i64::MAX, i64::MAX);
        assert!(!far.has_next(), "no overflow on the last possible page");
    }

    #[test]
    fn a_page_from_the_url_is_one_unless_it_is_a_positive_number() {
        assert_eq!(page_from_query(None), 1);
        for bad in ["", "0", "-3", "two", "1.5"] {
            assert_eq!(page_from_query(Some(bad)), 1, "{bad}");
        }
        assert_eq!(page_from_query(Some(" 4 ")), 4);
        assert_eq!(page_from_query(Some("99999999999")), MAX_PAGE);
    }

    #[test]
    fn rows_fill_whole_pages_and_no_rows_still_make_one() {
        assert_eq!(page_count(0, 25), 1);
        assert_eq!(page_count(25, 25), 1);
        assert_eq!(page_count(26, 25), 2);
        assert_eq!(page_count(60, 25), 3);
        assert_eq!(page_count(5, 0), 5);
        assert_eq!(page(10, 60, 3).page_count(), 3);
    }

    #[test]
    fn limit_and_offset_clamp_the_page_and_its_size() {
        assert_eq!(limit_offset(1, 25), (25, 0));
        assert_eq!(limit_offset(3, 25), (25, 50));
        assert_eq!(limit_offset(0, 25), (25, 0));
        assert_eq!(limit_offset(-5, 0), (1, 0));
        assert_eq!(limit_offset(2, 10_000), (MAX_PER_PAGE, MAX_PER_PAGE));
        assert_eq!(limit_offset(i64::MAX, 25).1, i64::MAX);
    }

    #[test]
    fn mapping_a_page_keeps_its_place() {
        let page = Page::new(vec![1, 2], 12, 2, 2).map(|n| n * 10);
        assert_eq!(page, Page::new(vec![10, 20], 12, 2, 2));
        assert_eq!((page.first_shown(), page.last_shown()), (3, 4));
    }
}
