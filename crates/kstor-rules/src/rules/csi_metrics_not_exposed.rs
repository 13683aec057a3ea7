use kstor_model::graph::{ContainerInfo, ScrapeConfig, StorageGraph, Workload, WorkloadKind};
use kstor_model::path::Path;

use super::common::{csi_sidecar, workload_name};
use crate::context::Context;
use crate::finding::Finding;
use crate::rule::{Check, Severity};

crate::declare_rule! {
    /// ## What it does
    /// Flags a CSI sidecar that exports no metrics, in a CSI controller (Deployment,
    /// StatefulSet) or node plugin (DaemonSet). Sidecars are recognised by their image, as
    /// for KS802: `csi-provisioner`, `csi-attacher`, `csi-resizer`, `csi-snapshotter` and
    /// the `snapshot-controller`, from any registry, among the containers and init
    /// containers (native sidecars). It reports:
    ///
    /// - a sidecar started without its metrics endpoint: neither `--http-endpoint` nor the
    ///   deprecated `--metrics-address` is set, or it is set to an empty address (the server
    ///   is off) or to a loopback address (`localhost:29612`, reachable only from inside the
    ///   pod, as some drivers do for the sidecar's health check), so Prometheus gets no
    ///   `/metrics` from it. When another container of the pod, the driver itself, exports
    ///   metrics (a port named `metrics` or `prometheus`, or a `--metrics…` flag), this is
    ///   info, not a warning: drivers such as Azure Disk and Files, vSphere and Hetzner
    ///   Cloud time the same CSI calls in their own metrics and ship their sidecars without
    ///   an endpoint, which loses little;
    /// - when the input holds scrape configuration of any kind (a ServiceMonitor or
    ///   PodMonitor of the Prometheus operator, a `prometheus.io/scrape: "true"` annotation
    ///   on a pod or a Service), a metrics endpoint that none of it scrapes: no PodMonitor
    ///   selecting the pod on that port, no Service targeting the port that a
    ///   ServiceMonitor selects or that is annotated for scraping, and no scrape annotation
    ///   on the pod template covering the port (annotation-based scraping takes the port of
    ///   `prometheus.io/port`, or every declared `containerPort` without it). A namespace
    ///   left to deploy time matches any. `kstor audit` checks only the first case: the
    ///   cluster reader lists no Services or monitors.
    ///
    /// ## Why it matters
    /// The sidecars are where every volume operation passes: each records
    /// `csi_sidecar_operations_seconds`, a histogram of its calls to the driver labelled by
    /// `driver_name`, `method_name` and `grpc_status_code` (csi-lib-utils). Its
    /// `/csi.v1.Controller/CreateVolume` series (external-provisioner) is provisioning
    /// latency and errors, `ControllerPublishVolume` (external-attacher) is the attach
    /// latency pods wait on in ContainerCreating, `ControllerExpandVolume`
    /// (external-resizer) resizes, `CreateSnapshot` (external-snapshotter) snapshots; the
    /// snapshot-controller records `snapshot_controller_operation_total_seconds`. Without
    /// them, a driver that slowly starts failing (cloud API throttling, a stuck attach,
    /// exhausted quotas) shows up only as Pending claims and stuck pods, after the fact.
    /// The endpoint is off unless the flag is given (the sidecars' READMEs: "The default is
    /// empty string, which means the server is disabled"), and an endpoint nothing scrapes
    /// helps no more than none.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: ebs-csi-controller
    ///   namespace: kube-system
    /// spec:
    ///   selector:
    ///     matchLabels: {app: ebs-csi-controller}
    ///   template:
    ///     metadata:
    ///       labels: {app: ebs-csi-controller}
    ///     spec:
    ///       containers:
    ///         - name: ebs-plugin
    ///           image: public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:v1.37.0
    ///         - name: csi-attacher
    ///           image: registry.k8s.io/sig-storage/csi-attacher:v4.7.0
    ///           args: ["--csi-address=$(ADDRESS)", "--leader-election=true"]
    ///           # no --http-endpoint: attach latency and errors are never exported
    /// ```
    ///
    /// ## Fix
    /// Start every sidecar with `--http-endpoint=:<port>` (a distinct port per sidecar in
    /// one pod), declare the port as a named `containerPort`, and scrape it: a PodMonitor
    /// listing each port in `podMetricsEndpoints`, or a Service with the ports and a
    /// ServiceMonitor. Annotation-based scraping takes one port per pod, so it cannot cover
    /// several sidecars. Most driver charts have a switch for this (`enableMetrics`,
    /// `controller.enableMetrics`).
    ///
    /// **Automatic fix:** none: the metrics port and the scrape configuration depend on the
    /// monitoring stack.
    ///
    /// ## References
    /// - external-provisioner command line options (`--http-endpoint`, `--metrics-address`):
    ///   <https://github.com/kubernetes-csi/external-provisioner#command-line-options>
    /// - external-attacher: <https://github.com/kubernetes-csi/external-attacher#command-line-options>
    /// - external-resizer: <https://github.com/kubernetes-csi/external-resizer#command-line-options>
    /// - external-snapshotter (csi-snapshotter and snapshot-controller):
    ///   <https://github.com/kubernetes-csi/external-snapshotter#usage>
    /// - csi-lib-utils metrics (`csi_sidecar_operations_seconds`):
    ///   <https://github.com/kubernetes-csi/csi-lib-utils/blob/master/metrics/metrics.go>
    /// - Prometheus operator, ServiceMonitor and PodMonitor:
    ///   <https://prometheus-operator.dev/docs/developer/getting-started/>
    pub struct CsiMetricsNotExposed {
        code: "KS806",
        name: "csi-metrics-not-exposed",
        group: Platform,
        severity: Warning,
        summary: "a CSI sidecar exports no metrics, or nothing scrapes them where scraping is configured",
        fixes: [],
    }
}

/// Sidecars that export operation metrics, and the operations they time.
const METRICS_SIDECARS: [(&str, &str); 5] = [
    ("csi-provisioner", "CreateVolume/DeleteVolume latency and errors"),
    ("csi-attacher", "attach and detach latency and errors (ControllerPublishVolume)"),
    ("csi-resizer", "volume expansion latency and errors"),
    ("csi-snapshotter", "CreateSnapshot/DeleteSnapshot latency and errors"),
    ("snapshot-controller", "snapshot operation latency and errors"),
];

/// The flags that turn the metrics server on; the second is deprecated.
const FLAGS: [&str; 2] = ["http-endpoint", "metrics-address"];

impl Check for CsiMetricsNotExposed {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        let graph = ctx.graph;
        let mut scrape: Option<ScrapeConfig> = None;
        for workload in &graph.workloads {
            if !matches!(
                workload.kind,
                WorkloadKind::Deployment | WorkloadKind::StatefulSet | WorkloadKind::DaemonSet
            ) {
                continue;
            }
            for container in workload.pod.containers.iter().chain(&workload.pod.init_containers) {
                let Some(last) = csi_sidecar(&container.image) else {
                    continue;
                };
                let Some(&(sidecar, measures)) = METRICS_SIDECARS.iter().find(|(name, _)| *name == last)
                else {
                    continue;
                };
                let flag = metrics_flag(container);
                let address =
                    flag.as_ref().map(|f| f.value.trim()).filter(|v| !v.is_empty() && !is_loopback(v));
                let Some(address) = address else {
                    out.push(missing_endpoint(graph, workload, container, sidecar, measures, flag.as_ref()));
                    continue;
                };
                let config = scrape.get_or_insert_with(|| graph.scrape_config());
                let Some(port) = port_of(address, container) else {
                    continue; // the port is computed at run time: nothing to compare
                };
                // An audit reads no Services or monitors: it cannot tell what scrapes a port.
                if ctx.options.audit.is_some()
                    || !config.is_configured()
                    || config.scraped_by(graph, workload, container, port).is_some()
                {
                    continue;
                }
                let flag = flag.expect("an address comes from a flag");
                let Some((source, source_path)) = config.source_for(graph, workload) else {
                    continue;
                };
                let reference = &graph.object(*source).reference;
                let message = format!(
                    "{} of {} serves metrics on port {port} (--{}), but nothing scrapes that port although the input configures Prometheus scraping ({} {}): its {measures} stay unrecorded",
                    sidecar_phrase(container, sidecar),
                    workload_name(workload),
                    flag.name,
                    reference.kind,
                    reference.name,
                );
                out.push(
                    Finding::at(&Self::META, workload.object, flag.path(graph, workload, container), message)
                        .related(*source, source_path.clone(), "scrape configuration of the input")
                        .help(format!(
                            "scrape port {port}: name it in the container's ports and list it in a PodMonitor's podMetricsEndpoints, or expose it through a Service a ServiceMonitor selects"
                        )),
                );
            }
        }
    }
}

/// `CSI sidecar csi-provisioner`, or `CSI sidecar provisioner (csi-provisioner)` when the
/// container's name differs from the sidecar's.
fn sidecar_phrase(container: &ContainerInfo, sidecar: &str) -> String {
    if container.name == sidecar {
        format!("CSI sidecar {sidecar}")
    } else {
        format!("CSI sidecar {} ({sidecar})", container.name)
    }
}

fn missing_endpoint(
    graph: &StorageGraph,
    workload: &Workload,
    container: &ContainerInfo,
    sidecar: &str,
    measures: &str,
    flag: Option<&Flag>,
) -> Finding {
    let (path, why) = match flag {
        Some(flag) if flag.value.trim().is_empty() => (
            flag.path(graph, workload, container),
            format!("--{} is set to an empty address, which turns it off", flag.name),
        ),
        Some(flag) => (
            flag.path(graph, workload, container),
            format!(
                "--{} listens on {}, a loopback address Prometheus cannot reach",
                flag.name,
                flag.value.trim()
            ),
        ),
        None => {
            (container.path.key("args"), "neither --http-endpoint nor --metrics-address is set".to_string())
        }
    };
    let driver_metrics = driver_exporting_metrics(graph, workload);
    let severity = if driver_metrics.is_some() { Severity::Info } else { Severity::Warning };
    let caveat = driver_metrics
        .map(|name| {
            format!("; container {name} exports the driver's own metrics, which usually time the same calls")
        })
        .unwrap_or_default();
    let message = format!(
        "{} of {} exports no metrics ({why}): csi_sidecar_operations_seconds is never scraped, so its {measures} go unseen until claims stay Pending or pods hang{caveat}",
        sidecar_phrase(container, sidecar),
        workload_name(workload),
    );
    Finding::at(&CsiMetricsNotExposed::META, workload.object, path, message).severity(severity).help(
        "add `--http-endpoint=:<port>` (a distinct port per sidecar), declare the port, and scrape it (PodMonitor or Service + ServiceMonitor)",
    )
}

/// A container of the pod other than the CSI sidecars that exports metrics: a port named like
/// `metrics` or `prometheus`, or a `--metrics…` flag.
fn driver_exporting_metrics<'w>(graph: &StorageGraph, workload: &'w Workload) -> Option<&'w str> {
    workload.pod.containers.iter().filter(|c| csi_sidecar(&c.image).is_none()).find_map(|c| {
        let named = graph
            .container_ports(workload, c)
            .into_iter()
            .any(|(name, _)| name.is_some_and(|n| n.contains("metric") || n.contains("prometheus")));
        let flagged =
            c.command.iter().any(|w| w.trim_start_matches('-').starts_with("metrics") && w.starts_with('-'));
        (named || flagged).then_some(c.name.as_str())
    })
}

/// Whether a listen address is a loopback one (`localhost:8080`, `127.0.0.1:8080`, `[::1]:8080`).
fn is_loopback(address: &str) -> bool {
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    matches!(host.trim_start_matches('[').trim_end_matches(']'), "localhost" | "::1")
        || host.starts_with("127.")
}

/// A metrics flag as written.
struct Flag {
    /// `http-endpoint` or `metrics-address`.
    name: &'static str,
    /// Its value (empty when the flag is given without one).
    value: String,
    /// Index in the container's `command` followed by `args`.
    index: usize,
}

impl Flag {
    /// The field of the flag: `command[i]` or `args[j]`.
    fn path(&self, graph: &StorageGraph, workload: &Workload, container: &ContainerInfo) -> Path {
        let node = container.path.node(graph.object(workload.object).root());
        let commands = node.and_then(|n| n.get("command")).and_then(|c| c.as_seq()).map_or(0, |s| s.len());
        if self.index < commands {
            container.path.key("command").index(self.index)
        } else {
            container.path.key("args").index(self.index - commands)
        }
    }
}

/// The metrics flag of a container (the last one given wins, as with Go's flag package):
/// `--http-endpoint=:8080`, `--http-endpoint :8080`, single-dash forms alike.
fn metrics_flag(container: &ContainerInfo) -> Option<Flag> {
    let words = &container.command;
    let mut found = None;
    for (index, word) in words.iter().enumerate() {
        let Some(body) = word.strip_prefix("--").or_else(|| word.strip_prefix('-')) else {
            continue;
        };
        for name in FLAGS {
            if body == name {
                let value = words.get(index + 1).filter(|v| !v.starts_with('-')).map(|v| v.to_string());
                found = Some(Flag { name, value: value.unwrap_or_default(), index });
            } else if let Some(value) = body.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')) {
                found = Some(Flag { name, value: value.to_string(), index });
            }
        }
    }
    found
}

/// The port of a listen address (`:8080`, `0.0.0.0:8080`, `$(POD_IP):8080`, `[::]:9809`),
/// with `$(VAR)` resolved from the container's literal environment.
fn port_of(address: &str, container: &ContainerInfo) -> Option<i64> {
    let port = address.rsplit(':').next()?;
    let port = match port.strip_prefix("$(").and_then(|p| p.strip_suffix(')')) {
        Some(var) => container.env.get(var)?.as_str(),
        None => port,
    };
    port.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::graph;

    fn container(args: &str) -> ContainerInfo {
        let g = graph(&format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: c}}\nspec:\n  selector: {{}}\n  template:\n    spec:\n      containers:\n        - name: p\n          image: registry.k8s.io/sig-storage/csi-provisioner:v5.1.0\n          args: {args}\n          env: [{{name: PORT, value: \"9809\"}}]\n"
        ));
        g.workloads[0].pod.containers[0].clone()
    }

    #[test]
    fn flags_are_read_in_every_form() {
        let flag = |args: &str| metrics_flag(&container(args)).map(|f| (f.name, f.value, f.index));
        assert_eq!(flag("[\"--http-endpoint=:8080\"]"), Some(("http-endpoint", ":8080".into(), 0)));
        assert_eq!(
            flag("[\"-v=2\", \"--metrics-address\", \":8081\"]"),
            Some(("metrics-address", ":8081".into(), 1))
        );
        assert_eq!(flag("[\"-http-endpoint=:8082\"]"), Some(("http-endpoint", ":8082".into(), 0)));
        assert_eq!(flag("[\"--http-endpoint=\"]"), Some(("http-endpoint", String::new(), 0)));
        assert_eq!(flag("[\"--http-endpoint-other=1\", \"--csi-address=/csi\"]"), None);
    }

    #[test]
    fn loopback_addresses_are_not_exposed() {
        assert!(is_loopback("localhost:29612") && is_loopback("127.0.0.1:8080") && is_loopback("[::1]:9808"));
        assert!(!is_loopback(":8080") && !is_loopback("0.0.0.0:8080") && !is_loopback("$(POD_IP):8080"));
    }

    #[test]
    fn ports_come_from_the_address() {
        let c = container("[]");
        assert_eq!(port_of(":8080", &c), Some(8080));
        assert_eq!(port_of("0.0.0.0:9808", &c), Some(9808));
        assert_eq!(port_of("[::]:9810", &c), Some(9810));
        assert_eq!(port_of("$(POD_IP):$(PORT)", &c), Some(9809));
        assert_eq!(port_of("$(POD_IP):$(OTHER)", &c), None);
    }
}
