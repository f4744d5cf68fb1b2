//! Domain services: plain async functions over the database, used by server functions and workers.

pub mod accounts;
pub mod admin;
pub mod admins;
pub mod applications;
pub mod credit_admin;
pub mod keys;
pub mod model_admin;
pub mod outbox;
pub mod usage;
