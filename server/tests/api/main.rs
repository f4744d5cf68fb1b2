//! Integration tests: the real router over HTTP, a fresh database per test.
#![expect(clippy::expect_used, reason = "a failed expectation is a failed test")]

mod accounts;
mod admin;
mod admin_credits;
mod admin_models;
mod agents;
mod cli;
mod cohorts;
mod course_console;
mod credits;
mod curation;
mod dashboards;
mod dataset_access;
mod datasets;
mod db_functions;
mod hardening;
mod health;
mod helpers;
mod keys;
mod mailer;
mod metrics;
mod models_page;
mod notifications;
mod organizations;
mod pages;
mod playground;
mod proxy;
mod roles;
mod s3;
mod sql_contract;
mod support;
mod usage;
mod viewer;
