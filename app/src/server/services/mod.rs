//! Domain services: plain async functions over the database, used by server functions and workers.

pub mod accounts;
pub mod agent_tools;
pub mod agents;
pub mod audit;
pub mod cohorts;
pub mod conversations;
pub mod course_console;
pub mod credits;
pub mod dataset_access;
pub mod dataset_curation;
pub mod datasets;
pub mod keys;
pub mod models;
pub mod notifications;
pub mod onboarding;
pub mod organizations;
pub mod outbox;
pub mod overview;
pub mod rosters;
pub mod support;
pub mod usage;
pub mod users;
pub mod webhooks;
