//! Widgets shared by several pages.

pub mod footer;
pub mod form;
pub mod guard;
pub mod header;
pub mod history;
pub mod pager;
pub mod reply_stream;
pub mod session;
pub mod snippets;
pub mod ui;
