//! Routed pages, one module per area.

pub mod admin;
pub mod auth;
pub mod catalog;
pub mod credits;
pub mod dashboard;
pub mod design;
pub mod home;
pub mod keys;
pub mod lazy;
pub mod models;
pub mod not_found;
pub mod onboarding;
pub mod profile;
pub mod usage;
