//! Latency recording in an HDR histogram (nanoseconds, 3 significant digits) and the
//! percentile summary that reports and verdicts are built from.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Largest latency the histogram distinguishes: one hour. Longer samples saturate.
pub const HIGHEST_TRACKABLE_NS: u64 = 3_600 * 1_000_000_000;
/// Significant decimal digits kept by the histogram (relative error below 0.1 %).
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// An HDR histogram of latencies in nanoseconds, plus the exact minimum, maximum and sum.
///
/// Quantiles come from the histogram (within 0.1 % of the true value) and are clamped to
/// the exact `[min, max]`, so a summary is always monotone and never reports a value
/// above the slowest sample.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    hist: Histogram<u64>,
    min: u64,
    max: u64,
    sum: u128,
}

/// Latency summary of one distribution, all values in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Fastest sample (exact).
    pub min: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile: the figure verdicts are based on.
    pub p99: u64,
    /// 99.9th percentile.
    pub p99_9: u64,
    /// Slowest sample (exact).
    pub max: u64,
    /// Arithmetic mean (exact, rounded to the nanosecond).
    pub mean: u64,
}

/// One point of a percentile curve: the latency below which `quantile` of samples fall.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CurvePoint {
    /// Fraction of samples, in `[0, 1]`.
    pub quantile: f64,
    /// Latency in nanoseconds.
    pub latency_ns: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    /// An empty histogram covering 1 ns to one hour at 3 significant digits.
    pub fn new() -> Self {
        Self {
            hist: Histogram::new_with_bounds(1, HIGHEST_TRACKABLE_NS, SIGNIFICANT_DIGITS)
                .expect("constant histogram bounds are valid"),
            min: u64::MAX,
            max: 0,
            sum: 0,
        }
    }

    /// Builds a histogram from samples in nanoseconds.
    pub fn from_samples(samples: impl IntoIterator<Item = u64>) -> Self {
        let mut h = Self::new();
        for s in samples {
            h.record_ns(s);
        }
        h
    }

    /// Records one latency.
    #[inline]
    pub fn record(&mut self, latency: Duration) {
        self.record_ns(u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Records one latency in nanoseconds (values above one hour saturate).
    #[inline]
    pub fn record_ns(&mut self, ns: u64) {
        self.hist.saturating_record(ns);
        self.min = self.min.min(ns);
        self.max = self.max.max(ns);
        self.sum += u128::from(ns);
    }

    /// Number of recorded samples.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// The latency at `quantile` (0.0 to 1.0), clamped to the exact min and max;
    /// `None` when the histogram is empty.
    pub fn quantile_ns(&self, quantile: f64) -> Option<u64> {
        if self.is_empty() {
            return None;
        }
        Some(self.hist.value_at_quantile(quantile.clamp(0.0, 1.0)).clamp(self.min, self.max))
    }

    /// The summary (min, p50, p90, p99, p99.9, max, mean); `None` when empty.
    pub fn percentiles(&self) -> Option<Percentiles> {
        let q = |q| self.quantile_ns(q);
        Some(Percentiles {
            min: self.min,
            p50: q(0.50)?,
            p90: q(0.90)?,
            p99: q(0.99)?,
            p99_9: q(0.999)?,
            max: self.max,
            mean: (self.sum / u128::from(self.count())) as u64,
        })
    }

    /// The percentile curve for plotting: points that get denser towards the tail
    /// (HDR quantile iteration, 5 ticks per halving of the remaining distance), ending
    /// at the maximum.
    pub fn curve(&self) -> Vec<CurvePoint> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut points: Vec<CurvePoint> = self
            .hist
            .iter_quantiles(5)
            .map(|v| CurvePoint {
                quantile: v.quantile_iterated_to(),
                latency_ns: v.value_iterated_to().clamp(self.min, self.max),
            })
            .collect();
        points.insert(0, CurvePoint { quantile: 0.0, latency_ns: self.min });
        points
    }
}

impl Percentiles {
    /// True when `min ≤ p50 ≤ p90 ≤ p99 ≤ p99.9 ≤ max` and the mean lies in `[min, max]`.
    pub fn is_monotone(&self) -> bool {
        self.min <= self.p50
            && self.p50 <= self.p90
            && self.p90 <= self.p99
            && self.p99 <= self.p99_9
            && self.p99_9 <= self.max
            && (self.min..=self.max).contains(&self.mean)
    }

    /// The curve points implied by the summary alone (used to plot a report read back
    /// from JSON, which does not carry the full histogram).
    pub fn as_curve(&self) -> Vec<CurvePoint> {
        [
            (0.0, self.min),
            (0.5, self.p50),
            (0.9, self.p90),
            (0.99, self.p99),
            (0.999, self.p99_9),
            (1.0, self.max),
        ]
        .into_iter()
        .map(|(quantile, latency_ns)| CurvePoint { quantile, latency_ns })
        .collect()
    }
}
