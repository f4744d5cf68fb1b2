//! What `/metrics` adds to a `/v1` request: the records one metered chat
//! completion makes with the recorder installed (the HTTP middleware's
//! counter and histogram, the proxy's outcome counter, upstream and
//! first-chunk histograms, a ledger batch's size), on one thread and on two
//! at once (the same series, as under load), and a scrape's render after.
//!
//! `cargo bench -p lab-portal --bench metrics`

use std::time::Instant;

use app::domain::model::ModelKind;
use app::domain::tokenizer::TokenizerChoice;
use app::server::ledger::Batcher;
use app::server::metering::Model;
use axum::http::StatusCode;
use lab_portal::metrics::{self, Outcome};

const REQUESTS: u32 = 1_000_000;

fn main() -> anyhow::Result<()> {
    let handle = metrics::install()?;
    let model = std::sync::Arc::new(bench_model());
    for threads in [1, 2] {
        let started = Instant::now();
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let model = model.clone();
                std::thread::spawn(move || {
                    for _ in 0..REQUESTS {
                        one_request(&model);
                    }
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| anyhow::anyhow!("a worker panicked"))?;
        }
        let per = started.elapsed() / REQUESTS;
        eprintln!("{threads} thread(s): {per:?} a request (wall, per thread)");
    }
    // What the upkeep thread does every 5 s, then a scrape.
    let drained = Instant::now();
    handle.run_upkeep();
    let drained = drained.elapsed();
    let rendered = Instant::now();
    let text = handle.render();
    eprintln!(
        "draining {} samples: {drained:?}; render: {:?} ({} bytes)",
        // Four histograms a request, three million requests.
        REQUESTS * 3 * 4,
        rendered.elapsed(),
        text.len()
    );
    Ok(())
}

/// The records of one non-streamed chat completion, plus the stream's
/// first chunk and a one-charge batch.
fn one_request(model: &Model) {
    let arrived = Instant::now();
    let route = metrics_route();
    metrics::record_request("POST", route, StatusCode::OK, arrived);
    metrics::upstream_done(model, arrived, Outcome::Ok);
    metrics::first_token(model, arrived);
    ::metrics::histogram!(Batcher::BATCH_SIZE_METRIC).record(1.0);
}

/// The route's label as the middleware makes it (a copy of the pattern).
fn metrics_route() -> ::metrics::SharedString {
    ::metrics::SharedString::from_owned("/v1/chat/completions".to_owned())
}

fn bench_model() -> Model {
    Model {
        public_id: "bench-model".to_owned(),
        upstream_model: "bench-model".to_owned(),
        kind: ModelKind::Chat,
        input_price: Some(1_000_000),
        output_price: Some(2_000_000),
        context_window: 16_384,
        max_output_tokens: 256,
        enabled: true,
        created_at: time::OffsetDateTime::UNIX_EPOCH,
        provider: "fake upstream".to_owned(),
        base_url: "http://127.0.0.1:18080/v1".to_owned(),
        secret_env: None,
        timeout_ms: 30_000,
        tokenizer: TokenizerChoice::Heuristic,
    }
}
