//! The errors a person (or the browser) can act on.
//!
//! Policy:
//! - Server functions return `Result<T, AppError>`. Each variant is something
//!   the caller can understand and act on; its message is written for people.
//! - Database, I/O and other internal failures are logged on the server with
//!   their full chain and become [`AppError::Internal`], whose message says
//!   nothing about the cause. Internals never reach the browser.
//! - Validation failures carry one message per form field so forms can show
//!   each message next to its field.
//! - Each variant maps to one HTTP status (see [`AppError::status`]).

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A message about one form field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// An error a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please correct the highlighted fields.")]
    Validation(Vec<FieldError>),
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("You do not have permission to do that.")]
    Forbidden,
    /// The request was understood and refused, for a reason the person can act on.
    #[error("{0}")]
    Refused(String),
    /// Wrong email or password (deliberately not saying which).
    #[error("The email or password is incorrect.")]
    BadCredentials,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("Not enough credits for this request.")]
    InsufficientCredits,
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_seconds: u64,
    },
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    #[error("Could not reach the server. Check your connection and try again.")]
    Network,
}

impl AppError {
    /// A validation error about a single field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// The message for `field`, if this is a validation error naming it.
    pub fn field_message(&self, field: &str) -> Option<&str> {
        match self {
            Self::Validation(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.as_str()),
            _ => None,
        }
    }

    /// The error in words for a page that shows no form beside it: a
    /// validation error says what is wrong with each field.
    pub fn explanation(&self) -> String {
        match self {
            Self::Validation(errors) if !errors.is_empty() => errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            other => other.to_string(),
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Validation(_) | Self::InvalidRequest(_) => 422,
            Self::Unauthorized | Self::BadCredentials => 401,
            Self::Forbidden | Self::Refused(_) => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::InsufficientCredits => 402,
            Self::RateLimited { .. } => 429,
            Self::Internal => 500,
            Self::Network => 503,
        }
    }
}

/// Collects field errors while parsing a form, then fails once with all of them.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Keeps the value of `result`, or records its message under `field`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.0.push(FieldError {
                    field: field.to_owned(),
                    message,
                });
                None
            }
        }
    }

    /// Records a message under `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// `Ok` when nothing was recorded.
    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => Self::Network,
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::MissingArg(_) => Self::InvalidRequest(
                "The form was incomplete or malformed. Please try again.".to_owned(),
            ),
            _ => Self::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_collect_every_message() {
        let mut errors = FieldErrors::default();
        let ok: Option<u8> = errors.check("a", Ok(1));
        assert_eq!(ok, Some(1));
        errors.check::<u8>("b", Err("bad b".into()));
        errors.add("c", "bad c");
        let err = errors.finish().expect_err("two errors");
        assert_eq!(err.field_message("b"), Some("bad b"));
        assert_eq!(err.field_message("c"), Some("bad c"));
        assert_eq!(err.field_message("a"), None);
        assert_eq!(err.status(), 422);
    }

    #[test]
    fn internal_errors_say_nothing_about_their_cause() {
        let from_framework = AppError::from_server_fn_error(ServerFnErrorErr::ServerError(
            "db password wrong".into(),
        ));
        assert_eq!(from_framework, AppError::Internal);
        assert!(!from_framework.to_string().contains("db"));
    }
}
