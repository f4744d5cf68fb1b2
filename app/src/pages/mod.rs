//! Routed pages, one module per area.

pub mod auth;
pub mod catalog;
pub mod home;
pub mod not_found;
