//! Pure-Rust account domain types: parsed once at the boundary, trusted everywhere after.
//!
//! Nothing here touches Leptos, the database or the network, so browser and
//! server share it and it is unit-tested in place.

pub mod application;
pub mod credits;
pub mod email;
pub mod model;
pub mod password;
pub mod profile;
pub mod role;
