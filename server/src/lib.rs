//! The Lab Portal server: configuration, database, HTTP surface and start-up.

pub mod cli;
pub mod config;
pub mod db;
pub mod embedded_pg;
pub mod routes;
pub mod startup;
pub mod telemetry;
