//! What the benchmarks share: their settings from the environment, and percentiles of measured durations.

use std::str::FromStr;
use std::time::Duration;

/// The benchmark setting `name` from the environment, or `default` when it is unset.
///
/// # Panics
///
/// When the variable is set but does not parse: a benchmark that silently ran with its default would report
/// figures for a run nobody asked for.
pub fn env_or<T: FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(value) => value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value} is not a valid value for this setting")),
        Err(_) => default,
    }
}

/// The nearest-rank `p`th percentile (0–100) of `sorted`, which must be sorted and not empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `d` in milliseconds, for printing and JSON reports.
pub fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&sorted, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&sorted, 0.0), Duration::from_millis(1));
        assert_eq!(percentile(&sorted[..1], 95.0), Duration::from_millis(1));
        assert_eq!(millis(Duration::from_micros(1500)), 1.5);
    }
}
