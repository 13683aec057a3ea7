//! Rules that can report the same fact, and how the engine keeps only one finding for it.
//!
//! A general rule may cover what a more specific rule reports with more precision (KS304
//! flags any writable `hostPath` holding data; KS303 flags a known engine's data directory
//! on it). Rules report independently, so each works alone under `--select` or `--ignore`;
//! the engine drops the general finding when both ran and reported the same fact.

use kstor_model::path::Segment;
use kstor_model::{Location, ObjectId};

use crate::finding::Finding;
use crate::rules::{
    hostpath_for_persistent_data::HostpathForPersistentData,
    stateful_data_on_ephemeral_storage::StatefulDataOnEphemeralStorage,
};

/// (more specific rule, more general rule) codes.
pub static OVERLAPS: &[(&str, &str)] =
    &[(StatefulDataOnEphemeralStorage::META.code, HostpathForPersistentData::META.code)];

/// The object and field path of a finding on a field.
fn field(finding: &Finding) -> Option<(ObjectId, Vec<Segment>)> {
    match &finding.location {
        Location::Field { object, path } => Some((*object, path.segments())),
        Location::Span { .. } => None,
    }
}

/// Two findings state the same fact when they are on the same object and one's field path
/// is a prefix of the other's (KS303 at `volumes[0].hostPath`, KS304 at
/// `volumes[0].hostPath.path`).
fn same_fact(a: &(ObjectId, Vec<Segment>), b: &(ObjectId, Vec<Segment>)) -> bool {
    a.0 == b.0 && (a.1.starts_with(&b.1) || b.1.starts_with(&a.1))
}

/// Drops each finding of a general rule of [`OVERLAPS`] that states the same fact as a
/// finding of its more specific rule. A rule that did not run reported nothing, so this
/// applies only when both rules are enabled.
pub fn drop_restated(findings: &mut Vec<Finding>) {
    for &(specific, general) in OVERLAPS {
        let facts: Vec<_> = findings.iter().filter(|f| f.rule.code == specific).filter_map(field).collect();
        if facts.is_empty() {
            continue;
        }
        findings.retain(|f| {
            f.rule.code != general || !field(f).is_some_and(|fact| facts.iter().any(|s| same_fact(s, &fact)))
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use crate::engine::{Settings, lint};
    use crate::registry::{RULES, select};
    use crate::testing::graph;

    /// PostgreSQL with its data directory on a hostPath, and a second hostPath that only
    /// KS304 judges.
    const PG_ON_HOSTPATH: &str = "
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: pg, namespace: db}
spec:
  selector: {matchLabels: {app: pg}}
  template:
    metadata: {labels: {app: pg}}
    spec:
      containers:
        - name: pg
          image: postgres:16
          volumeMounts:
            - {name: data, mountPath: /var/lib/postgresql/data}
            - {name: dumps, mountPath: /dumps}
      volumes:
        - {name: data, hostPath: {path: /srv/pg}}
        - {name: dumps, hostPath: {path: /srv/pg-dumps}}
";

    /// (code, field path) of the KS303/KS304 findings with the rules `--select`ed and
    /// `--ignore`d, as the command line resolves them.
    fn findings(selected: &[&str], ignored: &[&str]) -> Vec<(&'static str, String)> {
        let mut enabled: HashSet<&'static str> = if selected.is_empty() {
            RULES.iter().map(|r| r.meta().code).collect()
        } else {
            selected.iter().flat_map(|s| select(s).unwrap()).map(|r| r.meta().code).collect()
        };
        for rule in ignored.iter().flat_map(|s| select(s).unwrap()) {
            enabled.remove(rule.meta().code);
        }
        let settings = Settings { enabled, ..Settings::default() };
        let mut out: Vec<_> = lint(&graph(PG_ON_HOSTPATH), &settings)
            .findings
            .into_iter()
            .filter(|r| ["KS303", "KS304"].contains(&r.finding.rule.code))
            .map(|r| (r.finding.rule.code, r.path().unwrap()))
            .collect();
        out.sort();
        out
    }

    fn at(code: &'static str, path: &str) -> (&'static str, String) {
        (code, path.to_string())
    }

    #[test]
    fn with_both_rules_the_specific_finding_states_the_fact_once() {
        let expected = vec![
            at("KS303", "spec.template.spec.volumes[0].hostPath"),
            at("KS304", "spec.template.spec.volumes[1].hostPath.path"),
        ];
        assert_eq!(findings(&[], &[]), expected);
        assert_eq!(findings(&["KS303", "KS304"], &[]), expected);
        assert_eq!(findings(&["KS3"], &[]), expected);
    }

    #[test]
    fn the_general_rule_alone_reports_the_data_directory() {
        let expected = vec![
            at("KS304", "spec.template.spec.volumes[0].hostPath.path"),
            at("KS304", "spec.template.spec.volumes[1].hostPath.path"),
        ];
        assert_eq!(findings(&["KS304"], &[]), expected);
        assert_eq!(findings(&[], &["KS303"]), expected);
    }

    #[test]
    fn the_specific_rule_alone_reports_only_its_fact() {
        let expected = vec![at("KS303", "spec.template.spec.volumes[0].hostPath")];
        assert_eq!(findings(&["KS303"], &[]), expected);
        assert_eq!(findings(&[], &["KS304"]), expected);
    }
}
