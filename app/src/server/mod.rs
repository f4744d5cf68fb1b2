//! Server-only code: shared state and, later, services and database access.

pub mod state;
