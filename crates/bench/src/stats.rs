//! Latency summaries and the median across runs.

use std::time::Duration;

use serde::Serialize;

/// Percentiles of one set of timed operations, in milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    pub count: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub mean_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub fn of(samples: &[Duration]) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let sum: f64 = ms.iter().sum();
        Latency {
            count: ms.len(),
            p50_ms: percentile(&ms, 50.0),
            p90_ms: percentile(&ms, 90.0),
            p99_ms: percentile(&ms, 99.0),
            mean_ms: sum / ms.len() as f64,
            min_ms: ms[0],
            max_ms: ms[ms.len() - 1],
        }
    }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Median of a handful of values (the lower middle one for an even count, so it is a value
/// some run really produced).
pub fn median(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.into_iter().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[(v.len() - 1) / 2]
}

/// The median of a figure that only some runs have: none unless every run has it.
pub fn median_some(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    values
        .into_iter()
        .collect::<Option<Vec<f64>>>()
        .filter(|v| !v.is_empty())
        .map(median)
}

/// Rates of several runs, rounded and comma separated (`2936, 2215, 2538`).
pub fn each_rate(values: &[f64]) -> String {
    values
        .iter()
        .map(|v| format!("{v:.0}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 90.0), 90.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
    }

    #[test]
    fn median_is_a_real_run() {
        assert_eq!(median([3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median([4.0, 1.0, 3.0, 2.0]), 2.0);
        assert!(median([]).is_nan());
    }

    #[test]
    fn latency_summary() {
        let d: Vec<Duration> = (1..=10).map(Duration::from_millis).collect();
        let l = Latency::of(&d);
        assert_eq!(l.count, 10);
        assert_eq!(l.p50_ms, 5.0);
        assert_eq!(l.max_ms, 10.0);
        assert!((l.mean_ms - 5.5).abs() < 1e-9);
    }
}
