//! Percentile maths against distributions whose percentiles are known exactly.

use kstor_bench::LatencyHistogram;

const US: u64 = 1_000;
const MS: u64 = 1_000_000;

/// Asserts `got` is within the HDR histogram's precision (3 significant digits) of `want`.
fn assert_close(what: &str, got: u64, want: u64) {
    let tolerance = want / 1000 + 1;
    assert!(got.abs_diff(want) <= tolerance, "{what}: got {got} ns, want {want} ns ± {tolerance}");
}

/// Nearest-rank quantile of sorted samples: the smallest value with at least q·N samples
/// at or below it.
fn exact_quantile(sorted: &[u64], q: f64) -> u64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[test]
fn uniform_1_to_10000_us() {
    let h = LatencyHistogram::from_samples((1..=10_000).map(|i| i * US));
    let p = h.percentiles().unwrap();
    assert_eq!(h.count(), 10_000);
    assert_eq!(p.min, US, "min is exact");
    assert_eq!(p.max, 10_000 * US, "max is exact");
    assert_eq!(p.mean, 5_000_500, "mean is exact");
    assert_close("p50", p.p50, 5_000 * US);
    assert_close("p90", p.p90, 9_000 * US);
    assert_close("p99", p.p99, 9_900 * US);
    assert_close("p99.9", p.p99_9, 9_990 * US);
    assert!(p.is_monotone(), "{p:?}");
}

#[test]
fn bimodal_fast_and_slow() {
    // 90 % of operations at 100 µs, 10 % at 10 ms: the median hides the slow mode,
    // p99 shows it.
    let samples = std::iter::repeat_n(100 * US, 9_000).chain(std::iter::repeat_n(10 * MS, 1_000));
    let h = LatencyHistogram::from_samples(samples);
    let p = h.percentiles().unwrap();
    assert_eq!(p.min, 100 * US);
    assert_close("p50", p.p50, 100 * US);
    assert_close("p90", p.p90, 100 * US);
    assert_close("p99", p.p99, 10 * MS);
    assert_close("p99.9", p.p99_9, 10 * MS);
    assert_eq!(p.max, 10 * MS);
    assert_eq!(p.mean, (9_000 * 100 * US + 1_000 * 10 * MS) / 10_000);
    // Just above the fast mode's share, the slow mode starts.
    assert_close("q 0.9001", h.quantile_ns(0.9001).unwrap(), 10 * MS);
}

#[test]
fn single_value_gives_that_value_everywhere() {
    let h = LatencyHistogram::from_samples([1_234_567]);
    let p = h.percentiles().unwrap();
    for (name, v) in [
        ("min", p.min),
        ("p50", p.p50),
        ("p90", p.p90),
        ("p99", p.p99),
        ("p99.9", p.p99_9),
        ("max", p.max),
        ("mean", p.mean),
    ] {
        assert_eq!(v, 1_234_567, "{name}");
    }
}

#[test]
fn empty_histogram_has_no_percentiles() {
    let h = LatencyHistogram::new();
    assert!(h.is_empty());
    assert_eq!(h.percentiles(), None);
    assert_eq!(h.quantile_ns(0.5), None);
    assert!(h.curve().is_empty());
}

#[test]
fn random_exponential_matches_exact_quantiles() {
    // Exponential latencies with a 200 µs mean, from a fixed seed.
    let mut rng = fastrand::Rng::with_seed(7);
    let mut samples: Vec<u64> =
        (0..100_000).map(|_| (-(1.0 - rng.f64()).ln() * 200_000.0) as u64 + 1).collect();
    let h = LatencyHistogram::from_samples(samples.iter().copied());
    samples.sort_unstable();
    for q in [0.5, 0.9, 0.99, 0.999] {
        assert_close(&format!("q {q}"), h.quantile_ns(q).unwrap(), exact_quantile(&samples, q));
    }
    let p = h.percentiles().unwrap();
    assert_eq!(p.min, samples[0]);
    assert_eq!(p.max, *samples.last().unwrap());
    assert!(p.is_monotone(), "{p:?}");
}

#[test]
fn durations_and_huge_values() {
    let mut h = LatencyHistogram::new();
    h.record(std::time::Duration::from_micros(250));
    h.record_ns(2 * 3_600 * 1_000_000_000); // two hours: beyond the tracked range
    let p = h.percentiles().unwrap();
    assert_eq!(p.min, 250 * US);
    assert_eq!(p.max, 2 * 3_600 * 1_000_000_000, "max stays exact");
    assert!(p.is_monotone(), "{p:?}");
}

#[test]
fn curve_is_monotone_and_spans_min_to_max() {
    let h = LatencyHistogram::from_samples((1..=1_000).map(|i| i * i * 10));
    let c = h.curve();
    assert!(c.len() > 10);
    assert_eq!(c[0].quantile, 0.0);
    assert_eq!(c[0].latency_ns, 10);
    assert_eq!(c.last().unwrap().latency_ns, 10_000_000);
    assert!(c.windows(2).all(|w| w[0].quantile <= w[1].quantile && w[0].latency_ns <= w[1].latency_ns));
}
