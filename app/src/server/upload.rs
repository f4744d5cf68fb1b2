//! File uploads: server functions that take `multipart/form-data` (what a
//! `<form enctype="multipart/form-data">` posts, with or without JavaScript).
//!
//! [`MultipartOnly`] turns away requests that are not multipart before the
//! body is decoded, and [`read_form`] reads the fields a function wants, each
//! up to a size limit, draining (not keeping) everything else.

use std::future::Future;
use std::pin::Pin;

use axum::body::Body;
use http::{header, Request, Response, StatusCode};
use leptos::server_fn::codec::MultipartData;
use leptos::server_fn::error::ServerFnErrorErr;
use leptos::server_fn::middleware::{BoxedService, Layer, Service};
use leptos::server_fn::Bytes;

use crate::error::AppError;

/// The most a request may send before the server stops reading it, even
/// when everything past a field's limit is thrown away. Beyond this the
/// connection is simply closed.
pub const MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;

/// Server function middleware: answers 415 to a request that is not
/// `multipart/form-data` with a boundary, which could not be decoded.
pub struct MultipartOnly;

impl Layer<Request<Body>, Response<Body>> for MultipartOnly {
    fn layer(
        &self,
        inner: BoxedService<Request<Body>, Response<Body>>,
    ) -> BoxedService<Request<Body>, Response<Body>> {
        BoxedService::new(inner.ser, MultipartOnlyService(inner))
    }
}

struct MultipartOnlyService(BoxedService<Request<Body>, Response<Body>>);

impl Service<Request<Body>, Response<Body>> for MultipartOnlyService {
    fn run(
        &mut self,
        request: Request<Body>,
        _ser: fn(ServerFnErrorErr) -> Bytes,
    ) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>> {
        if is_multipart(request.headers().get(header::CONTENT_TYPE)) {
            return self.0.run(request);
        }
        Box::pin(async { unsupported() })
    }
}

/// Whether a `Content-Type` is `multipart/form-data` with a boundary.
fn is_multipart(content_type: Option<&http::HeaderValue>) -> bool {
    let Some(value) = content_type.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = value.split(';').map(str::trim);
    parts
        .next()
        .is_some_and(|kind| kind.eq_ignore_ascii_case("multipart/form-data"))
        && parts.any(|p| {
            p.split_once('=').is_some_and(|(name, value)| {
                name.trim().eq_ignore_ascii_case("boundary") && !value.trim().is_empty()
            })
        })
}

fn unsupported() -> Response<Body> {
    let error = AppError::InvalidRequest("Send the form as multipart/form-data.".to_owned());
    let body = serde_json::to_string(&error).unwrap_or_default();
    Response::builder()
        .status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// One field of a multipart form, as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Part {
    /// The name of the chosen file, for a file input (may be empty when no
    /// file was chosen).
    pub file_name: Option<String>,
    /// The content, up to the limit.
    pub bytes: Vec<u8>,
    /// Whether the content went past the limit (and was cut there).
    pub too_large: bool,
}

/// Reads a multipart form: the first field with each of `names`, each up to
/// `limit` bytes, and drains the rest. A body past [`MAX_REQUEST_BYTES`] or
/// one that is not valid multipart is an error.
pub async fn read_form(
    data: MultipartData,
    names: &[&str],
    limit: usize,
) -> Result<Vec<(String, Part)>, AppError> {
    let malformed = |error: &dyn std::fmt::Display| {
        tracing::info!(%error, "malformed multipart form");
        AppError::InvalidRequest("The upload was incomplete or malformed. Please try again.".into())
    };
    let too_large = || {
        AppError::InvalidRequest(format!(
            "The upload is far too large: at most {} MiB can be sent.",
            MAX_REQUEST_BYTES / (1024 * 1024)
        ))
    };
    let Some(mut multipart) = data.into_inner() else {
        return Err(malformed(&"no multipart body"));
    };
    let mut fields: Vec<(String, Part)> = Vec::new();
    let mut received = 0_usize;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| malformed(&e))? {
        let name = field.name().unwrap_or_default().to_owned();
        let wanted = names.contains(&name.as_str()) && !fields.iter().any(|(n, _)| *n == name);
        let mut part = Part {
            file_name: field.file_name().map(str::to_owned),
            ..Part::default()
        };
        while let Some(chunk) = field.chunk().await.map_err(|e| malformed(&e))? {
            received = received.saturating_add(chunk.len());
            if received > MAX_REQUEST_BYTES {
                return Err(too_large());
            }
            if !wanted || part.too_large {
                continue;
            }
            if part.bytes.len() + chunk.len() > limit {
                part.too_large = true;
                part.bytes.clear();
            } else {
                part.bytes.extend_from_slice(&chunk);
            }
        }
        if wanted {
            fields.push((name, part));
        }
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_multipart_with_a_boundary_is_let_through() {
        let check = |v: &str| is_multipart(Some(&http::HeaderValue::from_str(v).expect("value")));
        assert!(check("multipart/form-data; boundary=----abc"));
        assert!(check("Multipart/Form-Data;charset=utf-8; boundary=\"x\""));
        assert!(!check("multipart/form-data"));
        assert!(!check("multipart/form-data; boundary="));
        assert!(!check("application/x-www-form-urlencoded"));
        assert!(!check("text/plain; boundary=x"));
        assert!(!is_multipart(None));
    }
}
