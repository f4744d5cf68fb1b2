//! The Lab Portal server: configuration, database, HTTP surface and start-up.

pub mod access;
pub mod admin_cli;
pub mod assets;
pub mod cli;
pub mod config;
pub mod csrf;
pub mod db;
pub mod embedded_pg;
pub mod jobs;
pub mod kept_form_middleware;
pub mod mailer;
pub mod metrics;
pub mod playground;
pub mod proxy;
pub mod routes;
pub mod session_store;
pub mod simulator;
pub mod startup;
pub mod telemetry;
pub mod webhooks;
