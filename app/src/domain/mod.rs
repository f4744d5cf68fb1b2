//! Pure Rust shared by the browser and the server: ids, parsing, rules and
//! money, parsed once at the boundary and trusted everywhere after.
//!
//! Nothing here touches Leptos, the database or the network, and nothing is
//! behind a feature flag, so browser and server share it and it is
//! unit-tested in place.

pub mod agent_tools;
pub mod agents;
pub mod bulk_grant;
pub mod calendar;
pub mod cohorts;
pub mod credit_grant;
pub mod credits;
pub mod dataset_access;
pub mod dataset_forms;
pub mod datasets;
pub mod email;
pub mod keys;
pub mod model;
pub mod model_forms;
pub mod notifications;
pub mod onboarding;
pub mod organizations;
pub mod paging;
pub mod password;
pub mod profile;
pub mod role;
pub mod search;
pub mod support;
pub mod tokenizer;
pub mod viewer;
