//! `kstor bench`: storage latency percentiles on a path (the kstor-bench crate).

use super::fail;

/// Runs the benchmark; the report goes to stdout.
pub fn run(args: &kstor_bench::BenchArgs) -> u8 {
    let mut stdout = std::io::stdout().lock();
    match kstor_bench::run(args, &mut stdout) {
        Ok(code) => u8::try_from(code).unwrap_or(super::EXIT_ERROR),
        Err(error) => fail(format!("{error:#}")),
    }
}

#[cfg(test)]
mod tests {
    use kstor_bench::{Pattern, patterns};
    use kstor_model::catalog::{Pattern as ModelPattern, PatternTable};

    /// The bench scans `catalog/patterns.yaml` by hand for its p99 ranges; the model reads the
    /// same file as YAML for `kstor report` and `kstor patterns`. They must agree, row by row.
    #[test]
    fn bench_judges_with_the_ranges_of_the_pattern_table() {
        let table = PatternTable::builtin();
        let model = |p: Pattern| match p {
            Pattern::Memory => ModelPattern::EphemeralMemory,
            Pattern::RwoBlock => ModelPattern::RwoBlock,
            Pattern::Distributed => ModelPattern::Distributed,
            Pattern::RwxFile => ModelPattern::RwxFile,
        };
        for pattern in kstor_bench::verdict::PATTERN_TABLE {
            let row = table.get(model(pattern));
            assert_eq!(pattern.catalog_id(), row.id.id());
            assert_eq!(pattern.latency().text, row.latency_p99, "{pattern:?}");
            assert_eq!(Some(pattern.range_ns()), patterns::range_ns(&row.latency_p99), "{pattern:?}");
        }
        // Every row of the table with a range in ms is one the bench judges with, or a variant
        // of one (rwo-snapshot is RWO block with snapshots).
        for row in &table.patterns {
            if patterns::range_ns(&row.latency_p99).is_some() {
                let judged =
                    kstor_bench::verdict::PATTERN_TABLE.iter().any(|p| p.catalog_id() == row.id.id());
                assert!(
                    judged || row.id == ModelPattern::RwoSnapshot,
                    "{} has a p99 range the bench ignores",
                    row.id
                );
            }
        }
        assert_eq!(patterns::builtin().len(), 5, "four judged rows and rwo-snapshot");
    }
}
