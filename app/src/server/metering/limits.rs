//! Per-key rate limits: requests per minute and tokens per minute, as token
//! buckets that refill continuously. Kept in this process's memory, so with
//! several portal instances each enforces the limit on its own share.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Units left; tokens may go below zero (a request's tokens are known
    /// only after it), which makes the next requests wait.
    level: f64,
    at: Instant,
}

impl Bucket {
    fn refill(&mut self, per_minute: f64, now: Instant) {
        let elapsed = now.duration_since(self.at).as_secs_f64();
        self.level = (self.level + elapsed * per_minute / 60.0).min(per_minute);
        self.at = now;
    }

    /// Seconds until the level reaches `need`.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a ceiled non-negative number of seconds; float-to-int `as` saturates"
    )]
    fn wait_for(&self, need: f64, per_minute: f64) -> u64 {
        let missing = (need - self.level).max(0.0);
        (missing * 60.0 / per_minute).ceil() as u64
    }
}

/// A refusal: what was exceeded and when to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    pub message: String,
    pub retry_after: u64,
}

/// A key's request and token buckets, each only when it has that limit.
type KeyBuckets = (Option<Bucket>, Option<Bucket>);

#[derive(Debug, Default)]
pub struct Limits {
    buckets: Mutex<HashMap<Uuid, KeyBuckets>>,
}

impl Limits {
    /// Admits one request of `key`, or says when to retry.
    pub fn admit(&self, key: Uuid, rpm: Option<i32>, tpm: Option<i32>) -> Result<(), Limited> {
        if rpm.is_none() && tpm.is_none() {
            return Ok(());
        }
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let (requests, tokens) = buckets.entry(key).or_insert((None, None));
        if let Some(tpm) = tpm.map(f64::from) {
            let bucket = tokens.get_or_insert(Bucket {
                level: tpm,
                at: now,
            });
            bucket.refill(tpm, now);
            if bucket.level < 1.0 {
                return Err(Limited {
                    message: format!(
                        "This key's limit of {tpm} tokens per minute is reached; retry later."
                    ),
                    retry_after: bucket.wait_for(1.0, tpm),
                });
            }
        }
        if let Some(rpm) = rpm.map(f64::from) {
            let bucket = requests.get_or_insert(Bucket {
                level: rpm,
                at: now,
            });
            bucket.refill(rpm, now);
            if bucket.level < 1.0 {
                return Err(Limited {
                    message: format!(
                        "This key's limit of {rpm} requests per minute is reached; retry later."
                    ),
                    retry_after: bucket.wait_for(1.0, rpm),
                });
            }
            bucket.level -= 1.0;
        }
        Ok(())
    }

    /// Counts the tokens a finished request of `key` used.
    pub fn spend_tokens(&self, key: Uuid, tpm: Option<i32>, used: u64) {
        let Some(tpm) = tpm.map(f64::from) else {
            return;
        };
        let now = Instant::now();
        if let Ok(mut buckets) = self.buckets.lock() {
            let (_, tokens) = buckets.entry(key).or_insert((None, None));
            let bucket = tokens.get_or_insert(Bucket {
                level: tpm,
                at: now,
            });
            bucket.refill(tpm, now);
            bucket.level -= used as f64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_per_minute_are_counted_per_key() {
        let limits = Limits::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        for _ in 0..3 {
            limits.admit(a, Some(3), None).expect("within the limit");
        }
        let refused = limits.admit(a, Some(3), None).expect_err("fourth");
        assert!(refused.retry_after >= 1 && refused.retry_after <= 20);
        limits.admit(b, Some(3), None).expect("another key");
        limits.admit(a, None, None).expect("no limit");
    }

    #[test]
    fn tokens_per_minute_block_once_spent() {
        let limits = Limits::default();
        let key = Uuid::now_v7();
        limits.admit(key, None, Some(100)).expect("fresh");
        limits.spend_tokens(key, Some(100), 150);
        let refused = limits.admit(key, None, Some(100)).expect_err("spent");
        assert!(refused.retry_after >= 30, "{refused:?}");
    }
}
