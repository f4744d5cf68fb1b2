//! Plain axum routes that live beside the Leptos pages.

pub mod health;
