//! Dataset files and their machine-readable description:
//! `GET /datasets/{slug}/v/{number}/files/{name}` (a signed-in browser or an
//! API key; `Range` requests with a strong `ETag` from the SHA-256, streamed
//! from the store, counted as the file's last bytes are sent) and
//! `GET /datasets/{slug}/croissant.json` (public).

use app::domain::datasets::{Access, Format};
use app::server::datasets::croissant;
use app::server::datasets::ingest::hex;
use app::server::services::{dataset_access, datasets};
use app::server::{AppState, CurrentCaller};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures_util::stream;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// Bytes read from the store per chunk of an answer: each read is a hop to
/// a blocking thread, so fewer, larger reads stream faster (64 KiB chunks
/// reached 55 % of nginx's rate on a 742 MB file).
const CHUNK: usize = 1024 * 1024;

fn text(status: StatusCode, message: &'static str) -> Response {
    (status, message).into_response()
}

fn failed(error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "serving a dataset file");
    text(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side. Please try again.",
    )
}

/// The Croissant description of the latest version.
pub async fn croissant_json(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    match datasets::dataset(&state.pool, &slug, None, false).await {
        Ok(Some((row, _, version, files))) => {
            let origin = app::server::origin(&state);
            let body = croissant::croissant(&row, &version, &files, &origin);
            ([(header::CONTENT_TYPE, "application/ld+json")], Json(body)).into_response()
        }
        Ok(None) => text(
            StatusCode::NOT_FOUND,
            "There is no published dataset at this address.",
        ),
        Err(error) => failed(error),
    }
}

/// Which bytes of a file of `len` bytes to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    All,
    /// `start..=end`.
    Part(u64, u64),
    Unsatisfiable,
}

/// Reads a `Range` header for a file of `len` bytes. One range is
/// answered; several (or a unit other than bytes, or a malformed header)
/// are ignored and the whole file is sent, as HTTP allows.
pub fn wanted(range: Option<&str>, len: u64) -> Wanted {
    let Some(spec) = range.and_then(|r| r.trim().strip_prefix("bytes=")) else {
        return Wanted::All;
    };
    if spec.contains(',') {
        return Wanted::All;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::All;
    };
    let (first, last) = (first.trim(), last.trim());
    let parse = |s: &str| s.parse::<u64>().ok();
    match (first.is_empty(), last.is_empty()) {
        // `bytes=-n`: the last n bytes.
        (true, false) => match parse(last) {
            Some(0) => Wanted::Unsatisfiable,
            Some(_) if len == 0 => Wanted::Unsatisfiable,
            Some(n) => Wanted::Part(len.saturating_sub(n), len - 1),
            None => Wanted::All,
        },
        // `bytes=a-`: from a to the end.
        (false, true) => match parse(first) {
            Some(a) if a < len => Wanted::Part(a, len - 1),
            Some(_) => Wanted::Unsatisfiable,
            None => Wanted::All,
        },
        (false, false) => match (parse(first), parse(last)) {
            (Some(a), Some(b)) if a <= b && a < len => Wanted::Part(a, b.min(len - 1)),
            (Some(a), Some(b)) if a <= b => Wanted::Unsatisfiable,
            _ => Wanted::All,
        },
        (true, true) => Wanted::All,
    }
}

/// A file of a published version.
pub async fn download(
    State(state): State<AppState>,
    Extension(caller): Extension<CurrentCaller>,
    Path((slug, number, name)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    // Who asks comes first: nothing about a file is said to a stranger.
    // Staff see drafts (a preview) and every file.
    let staff = caller
        .0
        .as_ref()
        .is_some_and(|c| c.role == app::domain::role::PlatformRole::Admin);
    let user = match caller.0 {
        Some(caller) => Some(caller.user_id),
        None => match bearer(&headers) {
            Some(key) => match datasets::key_owner(&state.pool, key).await {
                Ok(owner) => owner,
                Err(error) => return failed(error),
            },
            None => None,
        },
    };
    if user.is_none() {
        let mut response = text(
            StatusCode::UNAUTHORIZED,
            "Sign in, or send an API key as `Authorization: Bearer lp_…`, to download dataset files.",
        );
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    let Ok(number) = number.parse::<i32>() else {
        return text(StatusCode::NOT_FOUND, "There is no such file.");
    };
    let file = match datasets::downloadable(&state.pool, &slug, number, &name, staff).await {
        Ok(Some(file)) => file,
        Ok(None) => return text(StatusCode::NOT_FOUND, "There is no such file."),
        Err(error) => return failed(error),
    };
    let Some(user) = user else {
        return failed("a download without a user");
    };
    let granted = if staff {
        Ok(true)
    } else {
        dataset_access::granted(&state.pool, file.dataset_id, &file.access, user).await
    };
    match granted {
        Ok(true) => {}
        Ok(false) => {
            let message = match Access::parse(&file.access) {
                Some(Access::Terms) => format!(
                    "Accept this dataset's terms on its page first: {}",
                    app::href::dataset(&slug)
                ),
                _ => format!(
                    "This dataset's files need an approved access request; ask for access on its page: {}",
                    app::href::dataset(&slug)
                ),
            };
            return (StatusCode::FORBIDDEN, message).into_response();
        }
        Err(error) => return failed(error),
    }
    let Ok(sha256) = <[u8; 32]>::try_from(file.sha256.as_slice()) else {
        return failed("a stored digest is not 32 bytes");
    };
    let len = u64::try_from(file.bytes).unwrap_or(0);
    let etag = format!("\"{}\"", hex(&sha256));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        })
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    // A range applies only to the representation the client has.
    let range_applies = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == etag);
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let wanted = if range_applies {
        wanted(range, len)
    } else {
        Wanted::All
    };
    let (status, start, end) = match wanted {
        Wanted::All => (StatusCode::OK, 0, len.saturating_sub(1)),
        Wanted::Part(a, b) => (StatusCode::PARTIAL_CONTENT, a, b),
        Wanted::Unsatisfiable => {
            return (
                StatusCode::RANGE_NOT_SATISFIABLE,
                [(header::CONTENT_RANGE, format!("bytes */{len}"))],
            )
                .into_response()
        }
    };
    let count = if len == 0 { 0 } else { end - start + 1 };
    // From this replica's folder (fetched from the shared bucket first if
    // it lacks the file).
    let path = match state.datasets.local(&sha256).await {
        Ok(path) => path,
        Err(error) => return failed(format!("{error:#}")),
    };
    let mut reader = match tokio::fs::File::open(&path).await {
        Ok(reader) => reader,
        Err(error) => return failed(format!("{}: {error}", path.display())),
    };
    if start > 0 {
        if let Err(error) = reader.seek(std::io::SeekFrom::Start(start)).await {
            return failed(error);
        }
    }
    // Counted when the file's last byte has been sent.
    let finishes = file.published && (len == 0 || end + 1 == len);
    let pool = state.pool.clone();
    let (dataset, version) = (file.dataset_id, file.version_id);
    let body = stream::unfold((reader, count, false), move |(mut reader, left, done)| {
        let pool = pool.clone();
        async move {
            if done || left == 0 {
                return None;
            }
            let want = CHUNK.min(usize::try_from(left).unwrap_or(CHUNK));
            // Uninitialised capacity, filled by the read (nothing zeroed).
            let mut buffer = bytes::BytesMut::with_capacity(want);
            match (&mut reader)
                .take(u64::try_from(want).unwrap_or(0))
                .read_buf(&mut buffer)
                .await
            {
                Ok(0) => Some((
                    Err(std::io::Error::other(
                        "the stored file is shorter than recorded",
                    )),
                    (reader, 0, true),
                )),
                Ok(n) => {
                    let left = left.saturating_sub(u64::try_from(n).unwrap_or(left));
                    if left == 0 && finishes {
                        // The file's last bytes are on their way.
                        if let Err(error) = datasets::count_download(&pool, dataset, version).await
                        {
                            tracing::error!(%error, "counting a download");
                        }
                    }
                    Some((Ok(buffer.freeze()), (reader, left, false)))
                }
                Err(error) => Some((Err(error), (reader, 0, true))),
            }
        }
    });
    let format = Format::parse(&file.format).unwrap_or(Format::Other);
    let mut response = Response::new(Body::from_stream(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set(header::CONTENT_TYPE, format.media_type().to_owned());
    set(header::CONTENT_LENGTH, count.to_string());
    set(header::ACCEPT_RANGES, "bytes".to_owned());
    set(header::ETAG, etag);
    set(
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{name}\""),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        set(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"));
    }
    response
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_http_says() {
        let len = 100;
        assert_eq!(wanted(None, len), Wanted::All);
        assert_eq!(wanted(Some("bytes=0-0"), len), Wanted::Part(0, 0));
        assert_eq!(wanted(Some("bytes=99-99"), len), Wanted::Part(99, 99));
        assert_eq!(wanted(Some("bytes=90-"), len), Wanted::Part(90, 99));
        assert_eq!(wanted(Some("bytes=-10"), len), Wanted::Part(90, 99));
        assert_eq!(wanted(Some("bytes=-500"), len), Wanted::Part(0, 99));
        assert_eq!(wanted(Some("bytes=50-500"), len), Wanted::Part(50, 99));
        assert_eq!(wanted(Some("bytes=100-"), len), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=100-200"), len), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-0"), len), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-1,5-6"), len), Wanted::All);
        assert_eq!(wanted(Some("bytes=5-1"), len), Wanted::All);
        assert_eq!(wanted(Some("items=0-1"), len), Wanted::All);
        assert_eq!(wanted(Some("bytes=x-1"), len), Wanted::All);
        assert_eq!(wanted(Some("bytes=-1"), 0), Wanted::Unsatisfiable);
    }
}
