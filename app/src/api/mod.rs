//! Server functions, one per file, grouped by area. Each is thin: it checks
//! the caller, parses input into domain types and calls one service.

pub mod accounts;
pub mod admin;
pub mod agents;
pub mod cohorts;
pub mod credits;
pub mod dashboard;
pub mod datasets;
pub mod keys;
pub mod models;
pub mod notifications;
pub mod onboarding;
pub mod organizations;
pub mod playground;
pub mod support;
pub mod usage;
