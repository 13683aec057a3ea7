//! Prometheus scrape configuration of the input: ServiceMonitors and PodMonitors of the
//! Prometheus operator, and `prometheus.io/scrape` annotations on pods and Services (the
//! convention of Prometheus' example Kubernetes configuration). Read on demand (only KS806
//! asks): whether the input configures scraping at all, and whether a container port of a
//! workload is scraped.

use crate::graph::selector::{LabelSelector, labels, scalar_text};
use crate::graph::{ContainerInfo, StorageGraph, Workload, WorkloadKind, annotation_path};
use crate::object::{Object, ObjectId};
use crate::path::Path;
use crate::strmap::StrMap;
use crate::yaml::Node;

/// The API group of ServiceMonitor and PodMonitor.
pub const MONITORING_GROUP: &str = "monitoring.coreos.com";
/// The annotation that opts a pod or Service into annotation-based scraping.
pub const SCRAPE_ANNOTATION: &str = "prometheus.io/scrape";
/// The annotation that names the one port annotation-based scraping uses.
pub const PORT_ANNOTATION: &str = "prometheus.io/port";

/// A ServiceMonitor or PodMonitor.
#[derive(Clone, Debug)]
struct Monitor {
    object: ObjectId,
    namespace: String,
    namespace_set: bool,
    namespaces: Namespaces,
    selector: LabelSelector,
    /// `endpoints[]` / `podMetricsEndpoints[]`: port names and port numbers.
    ports: Vec<PortRef>,
}

/// Which namespaces a monitor looks in.
#[derive(Clone, Debug)]
enum Namespaces {
    Own,
    Any,
    Listed(Vec<String>),
}

/// A port named by name or number.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PortRef {
    Name(String),
    Number(i64),
}

/// A Service with its selector and ports.
#[derive(Clone, Debug)]
struct Service {
    object: ObjectId,
    namespace: String,
    namespace_set: bool,
    labels: StrMap,
    annotations: StrMap,
    selector: LabelSelector,
    /// (name, port, targetPort).
    ports: Vec<(Option<String>, Option<i64>, Option<PortRef>)>,
}

/// The scrape configuration of an input.
#[derive(Clone, Debug, Default)]
pub struct ScrapeConfig {
    /// What configures scraping: monitors (at their name), and objects carrying the scrape
    /// annotation (at the annotation).
    pub sources: Vec<(ObjectId, Path)>,
    service_monitors: Vec<Monitor>,
    pod_monitors: Vec<Monitor>,
    services: Vec<Service>,
}

impl StorageGraph {
    /// The Prometheus scrape configuration the input holds.
    pub fn scrape_config(&self) -> ScrapeConfig {
        let mut config = ScrapeConfig::default();
        for object in &self.workspace.objects {
            let kind = object.reference.kind.as_str();
            if object.reference.group() == MONITORING_GROUP && matches!(kind, "ServiceMonitor" | "PodMonitor")
            {
                config.sources.push((object.id, Path::root().key("metadata").key("name")));
                let monitor = monitor(
                    object,
                    if kind == "ServiceMonitor" { "endpoints" } else { "podMetricsEndpoints" },
                );
                if kind == "ServiceMonitor" {
                    config.service_monitors.push(monitor);
                } else {
                    config.pod_monitors.push(monitor);
                }
                continue;
            }
            if object.annotation(SCRAPE_ANNOTATION) == Some("true") {
                config.sources.push((object.id, annotation_path(object, SCRAPE_ANNOTATION)));
            }
            if kind == "Service" && object.reference.group().is_empty() {
                config.services.push(service(object));
            }
        }
        for workload in self.workloads.iter().filter(|w| w.kind != WorkloadKind::Operator) {
            if self.pod_annotations(workload).get(SCRAPE_ANNOTATION).map(String::as_str) == Some("true") {
                let path =
                    workload.pod.path.parent().key("metadata").key("annotations").key(SCRAPE_ANNOTATION);
                config.sources.push((workload.object, path));
            }
        }
        config
    }

    /// The annotations of a workload's pod template (of a Pod: its own).
    pub fn pod_annotations(&self, workload: &Workload) -> StrMap {
        let root = self.object(workload.object).root();
        workload
            .pod
            .path
            .parent()
            .key("metadata")
            .key("annotations")
            .node(root)
            .map(labels)
            .unwrap_or_default()
    }

    /// A container's declared ports: (`name`, `containerPort`).
    pub fn container_ports(
        &self,
        workload: &Workload,
        container: &ContainerInfo,
    ) -> Vec<(Option<String>, i64)> {
        let node = container.path.key("ports").node(self.object(workload.object).root());
        node.and_then(|n| n.as_seq())
            .into_iter()
            .flat_map(|s| s.iter())
            .filter_map(|item| {
                let number = item.get("containerPort").and_then(scalar_text)?.parse().ok()?;
                Some((item.get_str("name").map(str::to_string), number))
            })
            .collect()
    }

    /// The name a container gives one of its ports (`ports[].name` where `containerPort` is it).
    pub fn container_port_name(
        &self,
        workload: &Workload,
        container: &ContainerInfo,
        port: i64,
    ) -> Option<String> {
        self.container_ports(workload, container)
            .into_iter()
            .find(|(_, n)| *n == port)
            .and_then(|(name, _)| name)
    }
}

impl ScrapeConfig {
    /// Whether the input configures scraping of any kind.
    pub fn is_configured(&self) -> bool {
        !self.sources.is_empty()
    }

    /// The scrape configuration to name for a workload: one in its namespace if there is
    /// one, else the first.
    pub fn source_for(&self, graph: &StorageGraph, workload: &Workload) -> Option<&(ObjectId, Path)> {
        // The first by kind and name rather than input order (admission gathers the same
        // objects in another order), preferring the workload's namespace.
        let key = |(id, _): &&(ObjectId, Path)| {
            let object = graph.object(*id);
            let elsewhere = object.effective_namespace() != workload.namespace.as_str();
            (
                elsewhere,
                object.reference.kind.clone(),
                object.effective_namespace().to_string(),
                object.reference.name.clone(),
            )
        };
        self.sources.iter().min_by_key(key)
    }

    /// What scrapes port `port` of `container` in `workload`, if anything: the object that
    /// configures it (the workload itself for pod annotations, a PodMonitor, a ServiceMonitor
    /// or an annotated Service).
    pub fn scraped_by(
        &self,
        graph: &StorageGraph,
        workload: &Workload,
        container: &ContainerInfo,
        port: i64,
    ) -> Option<ObjectId> {
        let pod_labels = &workload.pod.labels;
        let name = graph.container_port_name(workload, container, port);
        let is_port = |r: &PortRef| match r {
            PortRef::Number(n) => *n == port,
            PortRef::Name(n) => name.as_deref() == Some(n.as_str()),
        };
        let workload_ns_set = graph.object(workload.object).reference.namespace.is_some();

        // Annotation-based scraping of the pod: the annotated port, or every declared port.
        let annotations = graph.pod_annotations(workload);
        if annotations.get(SCRAPE_ANNOTATION).map(String::as_str) == Some("true") {
            let declared = workload.pod.containers.iter().any(|c| c.ports.contains(&(port as i32)));
            let scraped = match annotations.get(PORT_ANNOTATION) {
                Some(p) => p.trim() == port.to_string(),
                None => declared,
            };
            if scraped {
                return Some(workload.object);
            }
        }
        for monitor in &self.pod_monitors {
            if monitor.looks_in(&workload.namespace, workload_ns_set)
                && monitor.selector.matches(pod_labels)
                && monitor.ports.iter().any(is_port)
            {
                return Some(monitor.object);
            }
        }
        for service in &self.services {
            let same_namespace = service.namespace == workload.namespace.as_str()
                || !service.namespace_set
                || !workload_ns_set;
            if !same_namespace || service.selector.is_empty() || !service.selector.matches(pod_labels) {
                continue;
            }
            for (port_name, service_port, target) in &service.ports {
                let targets_it = match target {
                    Some(t) => is_port(t),
                    None => *service_port == Some(port),
                };
                if !targets_it {
                    continue;
                }
                if service.annotations.get(SCRAPE_ANNOTATION).map(String::as_str) == Some("true") {
                    let wanted = service.annotations.get(PORT_ANNOTATION).map(|p| p.trim().to_string());
                    if wanted
                        .is_none_or(|p| Some(p.as_str()) == service_port.map(|n| n.to_string()).as_deref())
                    {
                        return Some(service.object);
                    }
                }
                for monitor in &self.service_monitors {
                    let endpoint = monitor.ports.iter().any(|r| match r {
                        PortRef::Name(n) => port_name.as_deref() == Some(n.as_str()),
                        PortRef::Number(_) => is_port(r),
                    });
                    if endpoint
                        && monitor.looks_in(&service.namespace, service.namespace_set)
                        && monitor.selector.matches(&service.labels)
                    {
                        return Some(monitor.object);
                    }
                }
            }
        }
        None
    }
}

impl Monitor {
    /// Whether the monitor selects objects of this namespace (where either namespace is left
    /// to deploy time, it is taken to).
    fn looks_in(&self, namespace: &str, namespace_set: bool) -> bool {
        match &self.namespaces {
            Namespaces::Any => true,
            Namespaces::Listed(list) => list.iter().any(|n| n == namespace),
            Namespaces::Own => self.namespace == namespace || !self.namespace_set || !namespace_set,
        }
    }
}

fn monitor(object: &Object, endpoints_key: &str) -> Monitor {
    let spec = object.root().get("spec");
    let namespace_selector = spec.and_then(|s| s.get("namespaceSelector"));
    let namespaces = match namespace_selector {
        Some(n) if n.get("any").is_some_and(|a| scalar_text(a).as_deref() == Some("true")) => Namespaces::Any,
        Some(n) if n.get("matchNames").is_some() => Namespaces::Listed(strings(n.get("matchNames"))),
        _ => Namespaces::Own,
    };
    let mut ports = Vec::new();
    for endpoint in
        spec.and_then(|s| s.get(endpoints_key)).and_then(|e| e.as_seq()).into_iter().flat_map(|s| s.iter())
    {
        if let Some(name) = endpoint.get_str("port") {
            ports.push(PortRef::Name(name.to_string()));
        }
        if let Some(number) = endpoint.get("portNumber").and_then(scalar_text).and_then(|n| n.parse().ok()) {
            ports.push(PortRef::Number(number));
        }
        if let Some(target) = endpoint.get("targetPort").and_then(port_ref) {
            ports.push(target);
        }
    }
    Monitor {
        object: object.id,
        namespace: object.effective_namespace().to_string(),
        namespace_set: object.reference.namespace.is_some(),
        namespaces,
        selector: spec.and_then(|s| s.get("selector")).map(LabelSelector::from_node).unwrap_or_default(),
        ports,
    }
}

fn service(object: &Object) -> Service {
    let root = object.root();
    let spec = root.get("spec");
    let metadata = root.get("metadata");
    let ports = spec
        .and_then(|s| s.get("ports"))
        .and_then(|p| p.as_seq())
        .into_iter()
        .flat_map(|s| s.iter())
        .map(|p| {
            let number = p.get("port").and_then(scalar_text).and_then(|n| n.parse().ok());
            (p.get_str("name").map(str::to_string), number, p.get("targetPort").and_then(port_ref))
        })
        .collect();
    Service {
        object: object.id,
        namespace: object.effective_namespace().to_string(),
        namespace_set: object.reference.namespace.is_some(),
        labels: metadata.and_then(|m| m.get("labels")).map(labels).unwrap_or_default(),
        annotations: metadata.and_then(|m| m.get("annotations")).map(labels).unwrap_or_default(),
        selector: spec.and_then(|s| s.get("selector")).map(LabelSelector::from_map).unwrap_or_default(),
        ports,
    }
}

/// An IntOrString port.
fn port_ref(node: Node<'_>) -> Option<PortRef> {
    let text = scalar_text(node)?;
    Some(match text.parse() {
        Ok(number) => PortRef::Number(number),
        Err(_) => PortRef::Name(text),
    })
}

fn strings(node: Option<Node<'_>>) -> Vec<String> {
    node.and_then(|n| n.as_seq()).map(|s| s.iter().filter_map(scalar_text).collect()).unwrap_or_default()
}
