//! Plain axum routes that live beside the Leptos pages.

pub mod credits_csv;
pub mod health;
