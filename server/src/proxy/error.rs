//! Errors in OpenAI's envelope: `{"error":{"message","type","param","code"}}`,
//! and how metering's refusals map onto it.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use app::domain::model::Unservable;
use app::server::metering::MeteringError;

/// An error the proxy answers with.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub kind: &'static str,
    pub param: Option<&'static str>,
    pub code: &'static str,
    pub retry_after: Option<u64>,
    /// When the limit that refused the request resets (RFC 3339), for a
    /// budget's refusal.
    pub resets_at: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, code: &'static str, message: String) -> Self {
        Self {
            status,
            message,
            kind,
            param: None,
            code,
            retry_after: None,
            resets_at: None,
        }
    }

    pub fn invalid_key(message: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "invalid_api_key",
            message.to_owned(),
        )
    }

    pub fn forbidden(code: &'static str, message: String) -> Self {
        Self::new(StatusCode::FORBIDDEN, "permission_error", code, message)
    }

    pub fn bad_request(param: Option<&'static str>, message: String) -> Self {
        Self {
            param,
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "invalid_request",
                message,
            )
        }
    }

    pub fn unknown_model(model: &str) -> Self {
        Self {
            param: Some("model"),
            ..Self::new(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                "model_not_found",
                format!("The model `{model}` does not exist or you do not have access to it."),
            )
        }
    }

    pub fn insufficient_credits(message: String) -> Self {
        Self::new(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_credits",
            "insufficient_credits",
            message,
        )
    }

    pub fn spend_cap() -> Self {
        Self::new(
            StatusCode::PAYMENT_REQUIRED,
            "insufficient_credits",
            "key_cap_reached",
            "This API key has reached its spend cap.".to_owned(),
        )
    }

    /// The member's budget in the organization paying is used up.
    pub fn member_budget(period: &str, resets_at: Option<time::OffsetDateTime>) -> Self {
        let which = match period {
            "day" => "daily budget",
            "week" => "weekly budget",
            "month" => "monthly budget",
            _ => "budget",
        };
        let resets_at = resets_at.and_then(|at| {
            at.format(&time::format_description::well_known::Rfc3339)
                .ok()
        });
        let when = match &resets_at {
            Some(at) => format!("it resets at {at}"),
            None => "it does not reset; ask an owner or admin of the organization to raise it"
                .to_owned(),
        };
        Self {
            resets_at,
            ..Self::new(
                StatusCode::PAYMENT_REQUIRED,
                "insufficient_credits",
                "member_budget_exceeded",
                format!(
                    "Your {which} in the organization this API key bills is used up for this request; {when}."
                ),
            )
        }
    }

    pub fn rate_limited(message: String, retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "rate_limit_exceeded",
                message,
            )
        }
    }

    pub fn upstream(message: String) -> Self {
        Self::new(
            StatusCode::BAD_GATEWAY,
            "upstream_error",
            "upstream_error",
            message,
        )
    }

    pub fn timeout() -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            "upstream_error",
            "upstream_timeout",
            "The model provider did not answer in time.".to_owned(),
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "internal_error",
            "Something went wrong on our side; it has been logged.".to_owned(),
        )
    }
}

impl From<MeteringError> for ApiError {
    fn from(error: MeteringError) -> Self {
        match error {
            // A key whose creator left the team paying is as good as revoked.
            MeteringError::InvalidKey | MeteringError::NotMember => {
                Self::invalid_key("Invalid API key: it is unknown, revoked or expired.")
            }
            MeteringError::CourseEnded => Self::forbidden(
                "course_ended",
                "The course this API key bills has ended; its credit went back to the institution."
                    .to_owned(),
            ),
            MeteringError::Suspended => Self::forbidden(
                "account_suspended",
                "The account of this API key is suspended.".to_owned(),
            ),
            MeteringError::UnknownModel(model) => Self::unknown_model(&model),
            MeteringError::WrongKind { model, expected } => Self::bad_request(
                Some("model"),
                format!("The model `{model}` is not a {} model.", expected.as_str()),
            ),
            MeteringError::Unavailable { model, why } => {
                let why = match why {
                    Unservable::Unpriced => "has no price yet",
                    Unservable::Disabled => "is disabled",
                };
                Self::forbidden(
                    "model_not_available",
                    format!("The model `{model}` {why} and cannot be used."),
                )
            }
            MeteringError::RateLimited {
                message,
                retry_after,
            } => Self::rate_limited(message, retry_after),
            MeteringError::InsufficientCredits { cost } => Self::insufficient_credits(format!(
                "Not enough credits: this request may cost up to {cost} credits. \
                 Lower `max_tokens` or add credits."
            )),
            MeteringError::SpendCapReached => Self::spend_cap(),
            MeteringError::MemberBudgetExceeded { period, resets_at } => {
                Self::member_budget(&period, resets_at)
            }
            MeteringError::Internal => Self::internal(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": {
            "message": self.message,
            "type": self.kind,
            "param": self.param,
            "code": self.code,
        }});
        if let Some(at) = self.resets_at {
            body["error"]["resets_at"] = json!(at);
        }
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
