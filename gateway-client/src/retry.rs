//! When and how often a failed request is repeated.

use std::time::Duration;

use backon::ExponentialBuilder;

/// Retry policy for **idempotent** requests (`GET`, `PUT`, `DELETE`).
///
/// The rule:
/// - Only idempotent requests are retried, and only after a connect error, a 429 (waiting for its
///   `Retry-After`, capped at [`RetryPolicy::max_retry_after`]), or a 502, 503 or 504.
/// - `POST` is never retried: not creates (the gateway has no lock against two creates of one name, so a
///   blind retry after a lost answer can register a duplicate), not `POST /rpc` tool calls (a tool may have
///   side effects), not state changes or refreshes. To retry a create safely, look first (`get`/`list`).
/// - A 502 from registering a gateway means "upstream unreachable" ([`crate::Error::UpstreamUnreachable`])
///   and is never retried.
///
/// Delays grow exponentially from [`RetryPolicy::min_delay`] to [`RetryPolicy::max_delay`], with jitter.
///
/// ```
/// use std::time::Duration;
/// use mcpfleet_gateway_client::RetryPolicy;
/// let policy = RetryPolicy::default().max_retries(5).min_delay(Duration::from_millis(50));
/// assert_eq!(policy.retries(), 5);
/// assert_eq!(RetryPolicy::none().retries(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: usize,
    min_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    /// 3 retries, 200 ms to 5 s with jitter, `Retry-After` honoured up to 60 s.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(60),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Retries after the first attempt (0 turns retries off).
    pub fn max_retries(mut self, retries: usize) -> Self {
        self.max_retries = retries;
        self
    }

    /// First backoff delay.
    pub fn min_delay(mut self, delay: Duration) -> Self {
        self.min_delay = delay;
        self
    }

    /// Longest backoff delay.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Longest `Retry-After` the client waits for; a longer one is capped to this.
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }

    /// Whether to add random jitter to delays (on by default; tests turn it off for exact timings).
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The configured number of retries.
    pub fn retries(&self) -> usize {
        self.max_retries
    }

    pub(crate) fn retry_after_cap(&self) -> Duration {
        self.max_retry_after
    }

    pub(crate) fn backoff(&self) -> ExponentialBuilder {
        let builder = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries);
        if self.jitter {
            builder.with_jitter()
        } else {
            builder
        }
    }
}
