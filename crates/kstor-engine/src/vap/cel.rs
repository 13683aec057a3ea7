//! Building blocks of the CEL kstor writes: literals, pod-spec access per workload kind,
//! image patterns as RE2 regexes, and provisioner names as the catalog resolves them.
//!
//! Only functions of the Kubernetes CEL environment are used (docs/vap.md lists them):
//! the standard library and macros, the `strings` extension (`lowerAscii`, `trim`, `split`,
//! `lastIndexOf`, `substring`), Kubernetes' `lists` (`sum`) and `quantity` libraries, and
//! RE2 `matches`.

use kstor_model::catalog::drivers::{DriverCatalog, DriverSpec};

/// A CEL string literal (single-quoted, escaped).
pub fn lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A CEL list of string literals.
pub fn list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let items: Vec<String> = items.into_iter().map(|s| lit(s.as_ref())).collect();
    format!("[{}]", items.join(", "))
}

/// `a || b || …`, `false` when empty.
pub fn any_of(terms: impl IntoIterator<Item = String>) -> String {
    let terms: Vec<String> = terms.into_iter().collect();
    match terms.len() {
        0 => "false".to_string(),
        1 => terms.into_iter().next().unwrap_or_default(),
        _ => terms.iter().map(|t| format!("({t})")).collect::<Vec<_>>().join(" || "),
    }
}

/// The kinds whose pod template kstor reads, grouped by where the pod spec is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodFamily {
    /// Pods: `object.spec`.
    Pods,
    /// Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs:
    /// `object.spec.template.spec`.
    Workloads,
    /// CronJobs: `object.spec.jobTemplate.spec.template.spec`.
    CronJobs,
}

impl PodFamily {
    /// Every family.
    pub const ALL: [PodFamily; 3] = [PodFamily::Pods, PodFamily::Workloads, PodFamily::CronJobs];

    /// The policy name suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            PodFamily::Pods => "pods",
            PodFamily::Workloads => "workloads",
            PodFamily::CronJobs => "cronjobs",
        }
    }

    /// The resources the family matches: (API group, version, resource).
    pub fn resources(self) -> Vec<Resource> {
        match self {
            PodFamily::Pods => vec![Resource::new("", "v1", &["pods"])],
            PodFamily::Workloads => vec![
                Resource::new("apps", "v1", &["deployments", "statefulsets", "daemonsets", "replicasets"]),
                Resource::new("", "v1", &["replicationcontrollers"]),
                Resource::new("batch", "v1", &["jobs"]),
            ],
            PodFamily::CronJobs => vec![Resource::new("batch", "v1", &["cronjobs"])],
        }
    }

    /// The CEL of the pod spec.
    pub fn pod_spec(self) -> &'static str {
        match self {
            PodFamily::Pods => "object.spec",
            PodFamily::Workloads => "object.spec.template.spec",
            PodFamily::CronJobs => "object.spec.jobTemplate.spec.template.spec",
        }
    }

    /// The CEL of the pod template's metadata (labels), `{}`-safe.
    pub fn pod_metadata(self) -> &'static str {
        match self {
            PodFamily::Pods => "object.metadata",
            PodFamily::Workloads => "object.spec.template.metadata",
            PodFamily::CronJobs => "object.spec.jobTemplate.spec.template.metadata",
        }
    }
}

/// Resources a policy matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    /// API group (`""` for core).
    pub group: &'static str,
    /// API versions.
    pub versions: Vec<&'static str>,
    /// Plural resource names.
    pub resources: Vec<&'static str>,
}

impl Resource {
    /// Resources of one group and version.
    pub fn new(group: &'static str, version: &'static str, resources: &[&'static str]) -> Resource {
        Resource { group, versions: vec![version], resources: resources.to_vec() }
    }
}

/// Variables every pod-spec policy declares: `spec` (the pod spec), `containers` (regular and
/// init containers) and `workload` (`statefulset data/pg`, as kstor names workloads).
pub fn pod_variables(family: PodFamily) -> Vec<(String, String)> {
    vec![
        ("spec".into(), family.pod_spec().into()),
        (
            "containers".into(),
            "variables.spec.containers + (has(variables.spec.initContainers) ? variables.spec.initContainers : [])"
                .into(),
        ),
        ("workload".into(), workload_name().into()),
    ]
}

/// `statefulset data/pg`: kind in lower case, namespace (the request's when the object has
/// none) and name.
pub fn workload_name() -> &'static str {
    "object.kind.lowerAscii() + ' ' + (has(object.metadata.namespace) ? object.metadata.namespace : request.namespace) + '/' + (has(object.metadata.name) ? object.metadata.name : object.metadata.generateName)"
}

/// The object's name, or its generateName prefix.
pub fn object_name() -> &'static str {
    "(has(object.metadata.name) ? object.metadata.name : object.metadata.generateName)"
}

/// A claim spec (`params.spec`) all of whose access modes bind to one node.
pub fn single_node(spec: &str) -> String {
    format!(
        "has({spec}.accessModes) && size({spec}.accessModes) > 0 && {spec}.accessModes.all(m, m == 'ReadWriteOnce' || m == 'ReadWriteOncePod')"
    )
}

/// An RE2 regex matching image references whose repository (registry, tag and digest
/// removed) ends with the pattern's segments, as kstor's role catalog matches images; `*`
/// matches within a segment. Case-insensitive.
pub fn image_regex(patterns: &[&str]) -> String {
    let alternatives: Vec<String> = patterns
        .iter()
        .map(|p| {
            let p = p.trim().to_ascii_lowercase();
            let p = p.strip_prefix("library/").unwrap_or(&p).to_string();
            p.split('*').map(regex_escape).collect::<Vec<_>>().join("[^/:@]*")
        })
        .collect();
    format!("(?i)^([^@]*/)?({})(:[^/@]*)?(@.*)?$", alternatives.join("|"))
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A condition on `object.provisioner` true exactly when the catalog's lookup resolves it
/// to a driver `pick` accepts; each accepted driver with its condition.
pub fn provisioner_conditions(
    catalog: &DriverCatalog,
    pick: impl Fn(&DriverSpec) -> bool,
) -> Vec<(&DriverSpec, String)> {
    let exact = catalog.exact_names();
    let suffixes = catalog.suffix_rules();
    let mut out: Vec<(&DriverSpec, String)> = Vec::new();
    for spec in catalog.drivers().iter().filter(|s| pick(s)) {
        let mut names: Vec<&str> =
            exact.iter().filter(|(_, d)| std::ptr::eq(*d, spec)).map(|(n, _)| *n).collect();
        names.sort_unstable();
        let mut terms = Vec::new();
        if !names.is_empty() {
            terms.push(format!("object.provisioner in {}", list(&names)));
        }
        for (i, (suffix, target)) in suffixes.iter().enumerate() {
            if !std::ptr::eq(*target, spec) {
                continue;
            }
            // Earlier suffixes and exact names win, as in DriverCatalog::lookup.
            let mut term = format!("object.provisioner.endsWith({})", lit(suffix));
            for (earlier, other) in &suffixes[..i] {
                if !std::ptr::eq(*other, spec) {
                    term.push_str(&format!(" && !object.provisioner.endsWith({})", lit(earlier)));
                }
            }
            let shadowing: Vec<&str> = exact
                .iter()
                .filter(|(n, d)| !std::ptr::eq(*d, spec) && n.ends_with(*suffix))
                .map(|(n, _)| *n)
                .collect();
            if !shadowing.is_empty() {
                term.push_str(&format!(" && !(object.provisioner in {})", list(&shadowing)));
            }
            terms.push(term);
        }
        if !terms.is_empty() {
            out.push((spec, any_of(terms)));
        }
    }
    out
}

/// A condition true when a StorageClass parameter matches: `parameter` (any of the names,
/// case-insensitively) has one of the values (`*` wildcards, case-insensitive, as the
/// catalog's `when:` conditions compare them).
pub fn parameter_matches(parameters: &[String], values: &[String]) -> String {
    let names = list(parameters.iter().map(|p| p.to_ascii_lowercase()));
    let value_terms = any_of(values.iter().map(|v| {
        let v = v.to_ascii_lowercase();
        match v.split_once('*') {
            None => format!("object.parameters[k].lowerAscii() == {}", lit(&v)),
            Some((prefix, suffix)) => format!(
                "size(object.parameters[k]) >= {} && object.parameters[k].lowerAscii().startsWith({}) && object.parameters[k].lowerAscii().endsWith({})",
                prefix.len() + suffix.len(),
                lit(prefix),
                lit(suffix)
            ),
        }
    }));
    format!(
        "has(object.parameters) && object.parameters.exists(k, k.lowerAscii() in {names} && ({value_terms}))"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_escaped() {
        assert_eq!(lit("it's a \\ path"), r"'it\'s a \\ path'");
        assert_eq!(list(["a", "b"]), "['a', 'b']");
    }

    #[test]
    fn image_patterns_become_anchored_regexes() {
        let re = image_regex(&["postgres", "bitnami/postgresql*"]);
        assert_eq!(re, r"(?i)^([^@]*/)?(postgres|bitnami/postgresql[^/:@]*)(:[^/@]*)?(@.*)?$");
    }
}
