//! Widgets shared by several pages.

pub mod footer;
pub mod header;
