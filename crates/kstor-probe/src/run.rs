//! One probe run: the checks of every class in order, then the cleanup.
//!
//! Each check records its timed steps as the probe observes them (polling the API server),
//! and on failure the namespace's events with the rule that predicts them. A check that
//! needs an earlier one which failed or was skipped is skipped with that reason.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use k8s_openapi::api::core::v1::{Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::{StorageClass, VolumeAttachment};
use kube::ResourceExt;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use serde_json::{Value, json};

use crate::agent::AgentReport;
use crate::cluster::{Cluster, StepError, claim_phase, claim_volume};
use crate::diagnose::{ClassFacts, diagnose};
use crate::objects::{self, Blueprint};
use crate::options::Check;
use crate::preflight::{self, Preflight};
use crate::report::{CheckReport, ClassReport, Status, Timing};

/// What the run created, shared with the interrupt handler so that the cleanup knows what to
/// remove even when the run is dropped mid-step.
#[derive(Debug, Default)]
pub struct Created {
    /// The namespace was created by the run (deleted at the end).
    pub namespace: bool,
    /// A node the run cordoned (uncordoned at the end).
    pub cordoned: Option<String>,
}

/// Everything a run needs.
pub struct Run {
    /// The API.
    pub cluster: Cluster,
    /// How objects are built.
    pub blueprint: Blueprint,
    /// The selected checks.
    pub checks: Vec<Check>,
    /// Claim size.
    pub size: u64,
    /// Data the writer writes.
    pub data: u64,
    /// How much expand grows the claim.
    pub expand_by: u64,
    /// `--snapshot-class`.
    pub snapshot_class: Option<String>,
    /// `--chaos cordon`: the reschedule cordons the first node instead of steering the reader.
    pub chaos_cordon: bool,
    /// `--bench-time`, in milliseconds.
    pub bench_millis: u64,
    /// What was created.
    pub created: Arc<Mutex<Created>>,
    /// kstor's engine (preflight's static findings).
    pub engine: Arc<kstor_engine::Engine>,
}

/// The state of one class's run, passed from check to check.
struct State {
    class: String,
    /// The prefix of the names of this run's objects: the class, and the iteration and
    /// parallel index when there are several.
    prefix: String,
    facts: ClassFacts,
    claim: String,
    volume: Option<String>,
    first_node: Option<String>,
    sha256: Option<String>,
    /// The pod currently using the claim.
    pod: Option<String>,
    /// The data claim's access mode: one the driver supports.
    access_mode: &'static str,
    wait_for_consumer: bool,
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn timing(step: &str, ms: f64) -> Timing {
    Timing { step: step.to_string(), ms: (ms * 10.0).round() / 10.0 }
}

/// A DNS-safe name part from a class name.
pub(crate) fn slug(text: &str) -> String {
    let mut out: String =
        text.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    out.truncate(30);
    out.trim_matches('-').to_string()
}

impl Run {
    /// Creates the namespace unless it exists.
    pub async fn ensure_namespace(&self) -> Result<(), StepError> {
        let api: Api<Namespace> = self.cluster.all();
        if api.get_opt(&self.cluster.namespace).await?.is_some() {
            return Ok(());
        }
        Cluster::create(&api, &self.blueprint.namespace()).await?;
        self.created.lock().expect("not poisoned").namespace = true;
        Ok(())
    }

    /// Runs every check of one class.
    pub async fn probe_class(&self, class: &str) -> Result<ClassReport, StepError> {
        self.probe_class_as(class, &slug(class)).await
    }

    /// [`Run::probe_class`] with the run's objects named from `prefix` (several runs of one
    /// class at once: `--parallel`).
    pub async fn probe_class_as(&self, class: &str, prefix: &str) -> Result<ClassReport, StepError> {
        let progress = Progress::start(class, "preflight");
        let preflight = preflight::run(self, class).await?;
        progress.done(Some(preflight.report.status));
        let mut report = ClassReport {
            class: class.to_string(),
            provisioner: preflight.class.as_ref().map(|c| c.provisioner.clone()),
            findings: preflight.findings.clone(),
            checks: Vec::new(),
        };
        let selected = |c: Check| self.checks.contains(&c);
        if selected(Check::Preflight) {
            report.checks.push(preflight.report.clone());
        }
        let Some(storage_class) = preflight.class.clone() else {
            for check in self.checks.iter().filter(|c| **c != Check::Preflight) {
                report.checks.push(CheckReport::new(
                    *check,
                    Status::Skipped,
                    format!("storage class {class} does not exist"),
                ));
            }
            return Ok(report);
        };
        let mut state = State {
            class: class.to_string(),
            facts: ClassFacts {
                immediate: storage_class.volume_binding_mode.as_deref() != Some("WaitForFirstConsumer"),
            },
            prefix: prefix.to_string(),
            claim: format!("{prefix}-data"),
            volume: None,
            first_node: None,
            sha256: None,
            pod: None,
            wait_for_consumer: storage_class.volume_binding_mode.as_deref() == Some("WaitForFirstConsumer"),
            access_mode: self.access_mode(&storage_class.provisioner),
        };
        // The data path: provision → attach → write; each needs the one before, whether or
        // not it is reported.
        // access-modes and permissions use claims of their own: only the preflight gates them.
        let own_claims = [Check::Preflight, Check::AccessModes, Check::Permissions];
        let needs_volume = self.checks.iter().any(|c| !own_claims.contains(c));
        let not_runnable: Option<String> = (!preflight.runnable)
            .then(|| preflight.report.detail.clone().unwrap_or_else(|| "preflight failed".into()));
        let mut blocked = not_runnable.clone();
        let mut volume_checks = Vec::new();
        if needs_volume && blocked.is_none() {
            let progress = Progress::start(class, "provision, attach-mount, write");
            volume_checks = self.data_path(&mut state).await?;
            let worst = volume_checks.iter().map(|c| c.status).find(|s| *s != Status::Passed);
            progress.done(Some(worst.unwrap_or(Status::Passed)));
            if let Some(failed) = volume_checks.iter().find(|c| c.status != Status::Passed) {
                blocked = Some(format!(
                    "needs {}, which {}",
                    failed.check.name(),
                    if failed.status == Status::Failed { "failed" } else { "was skipped" }
                ));
            }
        }
        for check in [Check::Provision, Check::AttachMount, Check::Write] {
            if !selected(check) {
                continue;
            }
            match volume_checks.iter().find(|c| c.check == check) {
                Some(done) => report.checks.push(done.clone()),
                None => report.checks.push(CheckReport::new(
                    check,
                    Status::Skipped,
                    blocked.clone().unwrap_or_default(),
                )),
            }
        }
        for check in [
            Check::Reschedule,
            Check::Snapshot,
            Check::Expand,
            Check::AccessModes,
            Check::Permissions,
            Check::Bench,
        ] {
            if !selected(check) {
                continue;
            }
            let gate = if own_claims.contains(&check) { &not_runnable } else { &blocked };
            if let Some(why) = gate {
                report.checks.push(CheckReport::new(check, Status::Skipped, why.clone()));
                continue;
            }
            let progress = Progress::start(class, check.name());
            let outcome = match check {
                Check::Reschedule => self.reschedule(&mut state).await,
                Check::Snapshot => self.snapshot(&mut state, &preflight).await,
                Check::Expand => self.expand(&mut state, &storage_class).await,
                Check::AccessModes => self.access_modes(&mut state).await,
                Check::Permissions => self.permissions(&mut state, &preflight).await,
                _ => self.bench(&mut state).await,
            };
            let settled = self.settle(check, &state, outcome).await?;
            progress.done(Some(settled.status));
            report.checks.push(settled);
        }
        Ok(report)
    }

    /// The data claim's access mode: ReadWriteOnce, unless kstor's driver catalog says the
    /// driver provisions only shared modes (then ReadWriteMany); unknown drivers get
    /// ReadWriteOnce, which nearly every driver supports.
    fn access_mode(&self, provisioner: &str) -> &'static str {
        use kstor_model::catalog::{AccessMode, VolumeMode};
        let caps = self.engine.catalog().drivers.capabilities(provisioner, &Default::default());
        let modes = caps
            .as_ref()
            .map(|c| c.access_modes.for_mode(VolumeMode::Filesystem).to_vec())
            .unwrap_or_default();
        if modes.is_empty() || modes.contains(&AccessMode::ReadWriteOnce) {
            AccessMode::ReadWriteOnce.as_str()
        } else if modes.contains(&AccessMode::ReadWriteMany) {
            AccessMode::ReadWriteMany.as_str()
        } else {
            modes[0].as_str()
        }
    }

    /// Turns a check's outcome into its report: a step error becomes a failure explained by
    /// the events; an unreachable API server stops the run.
    async fn settle(
        &self,
        check: Check,
        state: &State,
        outcome: Result<CheckReport, StepError>,
    ) -> Result<CheckReport, StepError> {
        match outcome {
            Ok(report) => Ok(report),
            Err(e) if e.is_unreachable() => Err(e),
            Err(e) => {
                let mut report = CheckReport::new(check, Status::Failed, e.to_string());
                report.diagnosis = diagnose(&self.cluster.events().await.unwrap_or_default(), state.facts);
                report.rules = report.diagnosis.iter().filter_map(|d| d.rule.clone()).collect();
                report.rules.dedup();
                Ok(report)
            }
        }
    }

    /// provision → attach-mount → write, as three reports.
    async fn data_path(&self, state: &mut State) -> Result<Vec<CheckReport>, StepError> {
        let mut out = Vec::new();
        let claims: Api<PersistentVolumeClaim> = self.cluster.ns();
        let claim = self.blueprint.claim(&state.claim, &state.class, state.access_mode, self.size, None);
        let created = Instant::now();
        if let Err(e) = Cluster::create(&claims, &claim).await {
            out.push(self.settle(Check::Provision, state, Err(e)).await?);
            return Ok(out);
        }
        let mut provision = CheckReport::new(Check::Provision, Status::Passed, "");
        if !state.wait_for_consumer {
            let bound = self
                .cluster
                .wait(&format!("claim {} Bound", state.claim), || async {
                    Ok(self.cluster.claim(&state.claim).await?.filter(|c| claim_phase(c) == "Bound"))
                })
                .await;
            match bound {
                Ok(claim) => {
                    provision.timings.push(timing("bound", ms(created)));
                    state.volume = claim_volume(&claim);
                }
                Err(e) => {
                    out.push(self.settle(Check::Provision, state, Err(e)).await?);
                    return Ok(out);
                }
            }
        }

        // The writer: created → scheduled → (bound, for WaitForFirstConsumer) → attached → running.
        let writer = format!("{}-writer", state.prefix.clone());
        let pod = self.blueprint.agent_pod(
            &writer,
            &state.class,
            &state.claim,
            &objects::write_args(self.data),
            None,
        );
        let mut attach = CheckReport::new(Check::AttachMount, Status::Passed, "");
        let outcome = self.start_pod(&pod, state, &mut attach, Some(&mut provision), "").await;
        if state.wait_for_consumer {
            provision.detail = Some("WaitForFirstConsumer: the claim binds when its first pod is scheduled; timed from the writer's creation".into());
        }
        if state.volume.is_none() {
            // The claim never bound: provisioning is what failed.
            let error = outcome.err().unwrap_or_else(|| StepError::Failed("the claim has no volume".into()));
            out.push(self.settle(Check::Provision, state, Err(error)).await?);
            return Ok(out);
        }
        out.push(provision);
        if let Err(e) = outcome {
            out.push(self.settle(Check::AttachMount, state, Err(e)).await?);
            return Ok(out);
        }
        state.pod = Some(writer.clone());
        state.first_node = self.cluster.pod(&writer).await?.and_then(|p| p.spec.and_then(|s| s.node_name));
        attach.detail = state.first_node.as_ref().map(|n| format!("on node {n}"));
        out.push(attach);

        let mut write = CheckReport::new(Check::Write, Status::Passed, "");
        let started = Instant::now();
        match self.agent_result(&writer).await {
            Ok((0, report)) => {
                write.timings.push(timing("written", report.millis as f64));
                write.timings.push(timing("pod-completed", ms(started)));
                write.detail = Some(format!(
                    "{} files, {} bytes, fsynced; sha256 {}",
                    report.files.unwrap_or(0),
                    report.bytes.unwrap_or(0),
                    report.sha256.clone().unwrap_or_default()
                ));
                state.sha256 = report.sha256;
                out.push(write);
            }
            Ok((code, report)) => {
                let error = report.error.unwrap_or_default();
                let mut failed = CheckReport::new(
                    Check::Write,
                    Status::Failed,
                    format!("the agent exited {code}: {error}"),
                );
                if error.contains("Permission denied") {
                    // The pod runs as uid 65532 with fsGroup 65532: the volume's root is not
                    // writable for it (the permissions check says whether fsGroup applies).
                    failed.rules.push("KS501".into());
                }
                out.push(failed);
            }
            Err(e) => out.push(self.settle(Check::Write, state, Err(e)).await?),
        }
        Ok(out)
    }

    /// Creates a pod and records scheduled / bound / attached / running into `report`
    /// (bound into `provision` when given).
    async fn start_pod(
        &self,
        pod: &Pod,
        state: &mut State,
        report: &mut CheckReport,
        provision: Option<&mut CheckReport>,
        prefix: &str,
    ) -> Result<(), StepError> {
        let name = pod.name_any();
        let claim_name = pod_claim(pod).unwrap_or_default();
        let created = Instant::now();
        Cluster::create(&self.cluster.ns::<Pod>(), pod).await?;
        let node = self
            .cluster
            .wait(&format!("pod {name} scheduled"), || async {
                Ok(self.cluster.pod(&name).await?.and_then(|p| p.spec.and_then(|s| s.node_name)))
            })
            .await?;
        report.timings.push(timing(&format!("{prefix}scheduled"), ms(created)));
        let claim = self
            .cluster
            .wait(&format!("claim {claim_name} Bound"), || async {
                Ok(self.cluster.claim(&claim_name).await?.filter(|c| claim_phase(c) == "Bound"))
            })
            .await?;
        if let Some(provision) = provision.filter(|_| state.wait_for_consumer) {
            provision.timings.push(timing("bound-after-first-consumer", ms(created)));
        }
        let volume = claim_volume(&claim);
        if claim_name == state.claim {
            state.volume = volume.clone();
        }
        // Attach: a VolumeAttachment for this volume on this node, when the driver attaches.
        let attachments: Api<VolumeAttachment> = self.cluster.all();
        let volume_name = volume.clone().unwrap_or_default();
        let attached = self
            .cluster
            .wait(&format!("volume {volume_name} attached to {node} or pod {name} running"), || async {
                let list = attachments.list(&ListParams::default()).await?;
                let attachment = list.items.iter().find(|a| {
                    a.spec.node_name == node
                        && a.spec.source.persistent_volume_name.as_deref() == Some(volume_name.as_str())
                });
                if attachment.is_some_and(|a| a.status.as_ref().is_some_and(|s| s.attached)) {
                    return Ok(Some(true));
                }
                // Drivers that need no attach (attachRequired: false) go straight to running.
                let running = self.cluster.pod(&name).await?.is_some_and(|p| started(&p));
                Ok((running && attachment.is_none()).then_some(false))
            })
            .await?;
        if attached {
            report.timings.push(timing(&format!("{prefix}attached"), ms(created)));
        }
        self.cluster
            .wait(&format!("pod {name} running"), || async {
                Ok(self.cluster.pod(&name).await?.filter(started).map(|_| ()))
            })
            .await?;
        report.timings.push(timing(&format!("{prefix}running"), ms(created)));
        Ok(())
    }

    /// Waits for an agent pod to finish and reads its termination message.
    async fn agent_result(&self, pod: &str) -> Result<(i32, AgentReport), StepError> {
        let terminated = self
            .cluster
            .wait(&format!("pod {pod} finished"), || async {
                let pod = self.cluster.pod(pod).await?;
                Ok(pod.and_then(|p| p.status?.container_statuses?.into_iter().next()?.state?.terminated))
            })
            .await?;
        let message = terminated.message.unwrap_or_default();
        let report: AgentReport = serde_json::from_str(message.trim()).map_err(|e| {
            StepError::Failed(format!(
                "pod {pod} exited {} without an agent report ({e}): {message:?}",
                terminated.exit_code
            ))
        })?;
        Ok((terminated.exit_code, report))
    }

    /// Deletes the pod using the claim and waits until its volume is detached from its node.
    async fn release(&self, state: &mut State, report: &mut CheckReport) -> Result<(), StepError> {
        let Some(pod) = state.pod.take() else { return Ok(()) };
        let node = self.cluster.pod(&pod).await?.and_then(|p| p.spec.and_then(|s| s.node_name));
        let start = Instant::now();
        self.cluster.delete_and_wait(&self.cluster.ns::<Pod>(), &pod).await?;
        report.timings.push(timing("pod-deleted", ms(start)));
        let (Some(node), Some(volume)) = (node, state.volume.clone()) else { return Ok(()) };
        let attachments: Api<VolumeAttachment> = self.cluster.all();
        self.cluster
            .wait(&format!("volume {volume} detached from {node}"), || async {
                let list = attachments.list(&ListParams::default()).await?;
                Ok((!list.items.iter().any(|a| {
                    a.spec.node_name == node
                        && a.spec.source.persistent_volume_name.as_deref() == Some(volume.as_str())
                }))
                .then_some(()))
            })
            .await
            .map_err(|e| match e {
                // A volume that stays attached after its pod is gone: the next pod on another
                // node fails with a Multi-Attach error (KS202) until it detaches (KS906).
                StepError::Timeout(_, after) => StepError::Failed(format!(
                    "volume {volume} is still attached to {node} {} after its pod was deleted: a pod on another node would fail with a Multi-Attach error (KS202, KS906)",
                    humantime::format_duration(after)
                )),
                e => e,
            })?;
        report.timings.push(timing("detached", ms(start)));
        Ok(())
    }

    /// A pod that verifies the checksum on `claim`, avoiding `avoid_node`; its report.
    async fn verify_on(
        &self,
        state: &mut State,
        name: &str,
        claim: &str,
        avoid_node: Option<&str>,
        report: &mut CheckReport,
        prefix: &str,
    ) -> Result<(String, AgentReport, i32), StepError> {
        let sha = state.sha256.clone().unwrap_or_default();
        let pod =
            self.blueprint.agent_pod(name, &state.class, claim, &objects::verify_args(&sha), avoid_node);
        self.start_pod(&pod, state, report, None, prefix).await?;
        let node =
            self.cluster.pod(name).await?.and_then(|p| p.spec.and_then(|s| s.node_name)).unwrap_or_default();
        let (code, agent) = self.agent_result(name).await?;
        Ok((node, agent, code))
    }

    async fn reschedule(&self, state: &mut State) -> Result<CheckReport, StepError> {
        let mut report = CheckReport::new(Check::Reschedule, Status::Passed, "");
        let first = state.first_node.clone().unwrap_or_default();
        // Where may the volume go? Its PV's node affinity, over the schedulable nodes.
        let volume = match &state.volume {
            Some(v) => Cluster::get(&self.cluster.all::<PersistentVolume>(), v).await?,
            None => None,
        };
        let nodes = self.cluster.all::<Node>().list(&ListParams::default()).await?.items;
        let others: Vec<&Node> = nodes
            .iter()
            .filter(|n| n.name_any() != first)
            .filter(|n| !n.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false))
            .filter(|n| volume.as_ref().is_none_or(|v| preflight::volume_allows(v, n)))
            .collect();
        if others.is_empty() {
            let why = if volume.as_ref().is_some_and(preflight::pinned_to_one_node) {
                "the volume is pinned to one node (node-local storage): it cannot move, which is this pattern's failure domain"
            } else {
                "no other schedulable node can reach the volume (single-node topology)"
            };
            // Release the claim anyway: the snapshot check needs it unmounted.
            self.release(state, &mut report).await?;
            return Ok(CheckReport::new(Check::Reschedule, Status::Skipped, why));
        }
        // `--chaos cordon`: the node is cordoned and the pod deleted, as in a node drain; else
        // the reader's node affinity keeps it off the first node.
        let avoid = if self.chaos_cordon {
            self.cordon(&first, true).await?;
            None
        } else {
            Some(first.as_str())
        };
        self.release(state, &mut report).await?;
        let reader = format!("{}-reader", state.prefix.clone());
        let claim = state.claim.clone();
        let verified = self.verify_on(state, &reader, &claim, avoid, &mut report, "reader-").await;
        if self.chaos_cordon {
            self.cordon(&first, false).await?;
        }
        let (node, agent, code) = verified?;
        state.pod = Some(reader);
        if node == first {
            return Err(StepError::Failed(format!(
                "the reader ran on {first} again, despite its node affinity"
            )));
        }
        match (code, agent.matches) {
            (0, Some(true)) => {
                report.detail = Some(format!(
                    "moved from {first} to {node}; the data verified ({} bytes)",
                    agent.bytes.unwrap_or(0)
                ));
                Ok(report)
            }
            (_, Some(false)) => {
                report.status = Status::Failed;
                report.detail = Some(format!(
                    "DATA LOSS: after moving from {first} to {node} the volume holds {} files, {} bytes with sha256 {}, not what was written ({})",
                    agent.files.unwrap_or(0),
                    agent.bytes.unwrap_or(0),
                    agent.sha256.unwrap_or_default(),
                    state.sha256.clone().unwrap_or_default()
                ));
                Ok(report)
            }
            _ => Err(StepError::Failed(format!(
                "the reader exited {code}: {}",
                agent.error.unwrap_or_default()
            ))),
        }
    }

    /// ReadWriteOncePod: while one pod uses the claim, a second must stay unscheduled.
    /// ReadWriteMany: data written on one node is read on another. A mode the driver does not
    /// provision (ProvisioningFailed) is skipped with the reason.
    async fn access_modes(&self, state: &mut State) -> Result<CheckReport, StepError> {
        let mut report = CheckReport::new(Check::AccessModes, Status::Passed, "");
        let mut details = Vec::new();
        let slug = state.prefix.clone();
        let claims: Api<PersistentVolumeClaim> = self.cluster.ns();
        let pods: Api<Pod> = self.cluster.ns();

        // ReadWriteOncePod.
        let claim = format!("{slug}-rwop");
        Cluster::create(
            &claims,
            &self.blueprint.claim(&claim, &state.class, "ReadWriteOncePod", self.size, None),
        )
        .await?;
        let holder = format!("{slug}-rwop-holder");
        let hold = self.step_seconds();
        Cluster::create(
            &pods,
            &self.blueprint.agent_pod(&holder, &state.class, &claim, &objects::hold_args(hold), None),
        )
        .await?;
        let start = Instant::now();
        match self.running_or_unprovisioned(&holder, &claim).await? {
            Some(why) => details.push(format!("ReadWriteOncePod skipped: {why}")),
            None => {
                let second = format!("{slug}-rwop-second");
                Cluster::create(
                    &pods,
                    &self.blueprint.agent_pod(&second, &state.class, &claim, &objects::stat_args(), None),
                )
                .await?;
                let refused = self
                    .cluster
                    .wait(&format!("pod {second} refused or running"), || async {
                        if self.cluster.pod(&second).await?.is_some_and(|p| started(&p)) {
                            return Ok(Some(false));
                        }
                        let events = self.cluster.events().await?;
                        let refused = events.iter().any(|e| {
                            e.involved_object.name.as_deref() == Some(second.as_str())
                                && e.reason.as_deref() == Some("FailedScheduling")
                                && e.message.as_deref().is_some_and(|m| {
                                    m.contains("ReadWriteOncePod") || m.contains("used by another pod")
                                })
                        });
                        Ok(refused.then_some(true))
                    })
                    .await?;
                if !refused {
                    report.status = Status::Failed;
                    report.rules.push("KS205".into());
                    details.push(format!("a second pod ran on the ReadWriteOncePod claim {claim}"));
                } else {
                    report.timings.push(timing("rwop-refused", ms(start)));
                    details.push("ReadWriteOncePod refused a second pod".into());
                }
                self.cluster.delete_and_wait(&pods, &second).await?;
            }
        }
        self.cluster.delete_and_wait(&pods, &holder).await?;
        self.cluster.delete_and_wait(&claims, &claim).await?;

        // ReadWriteMany.
        let claim = format!("{slug}-rwx");
        Cluster::create(
            &claims,
            &self.blueprint.claim(&claim, &state.class, "ReadWriteMany", self.size, None),
        )
        .await?;
        let writer = format!("{slug}-rwx-writer");
        Cluster::create(
            &pods,
            &self.blueprint.agent_pod(
                &writer,
                &state.class,
                &claim,
                &objects::write_in("rwx", self.data.min(8 << 20)),
                None,
            ),
        )
        .await?;
        let start = Instant::now();
        match self.running_or_unprovisioned(&writer, &claim).await? {
            Some(why) => details.push(format!("ReadWriteMany skipped: {why}")),
            None => {
                let (code, written) = self.agent_result(&writer).await?;
                let node = self
                    .cluster
                    .pod(&writer)
                    .await?
                    .and_then(|p| p.spec.and_then(|s| s.node_name))
                    .unwrap_or_default();
                let sha = written.sha256.clone().unwrap_or_default();
                if code != 0 {
                    return Err(StepError::Failed(format!(
                        "the ReadWriteMany writer exited {code}: {}",
                        written.error.unwrap_or_default()
                    )));
                }
                let reader = format!("{slug}-rwx-reader");
                let pod = self.blueprint.agent_pod(
                    &reader,
                    &state.class,
                    &claim,
                    &objects::verify_in("rwx", &sha),
                    Some(&node),
                );
                let mut steps = CheckReport::new(Check::AccessModes, Status::Passed, "");
                self.start_pod(&pod, state, &mut steps, None, "rwx-reader-").await?;
                let (code, read) = self.agent_result(&reader).await?;
                let other = self
                    .cluster
                    .pod(&reader)
                    .await?
                    .and_then(|p| p.spec.and_then(|s| s.node_name))
                    .unwrap_or_default();
                report.timings.push(timing("rwx-read-elsewhere", ms(start)));
                if code == 0 && read.matches == Some(true) && other != node {
                    details.push(format!("ReadWriteMany: written on {node}, read back on {other}"));
                } else {
                    report.status = Status::Failed;
                    details.push(format!(
                        "ReadWriteMany: written on {node}, but {other} read {} files, {} bytes, not what was written",
                        read.files.unwrap_or(0),
                        read.bytes.unwrap_or(0)
                    ));
                }
            }
        }
        report.detail = Some(details.join("; "));
        Ok(report)
    }

    /// Pitfall 4 live: a non-root pod (uid 65532) with fsGroup 65532 writes to a new volume,
    /// whose root directory is as the driver formats it; the driver's fsGroupPolicy says
    /// whether the kubelet applies fsGroup at all.
    async fn permissions(&self, state: &mut State, preflight: &Preflight) -> Result<CheckReport, StepError> {
        let policy =
            preflight.fs_group_policy.clone().unwrap_or_else(|| "unknown (no CSIDriver object)".into());
        let slug = state.prefix.clone();
        let claims: Api<PersistentVolumeClaim> = self.cluster.ns();
        let pods: Api<Pod> = self.cluster.ns();
        let claim = format!("{slug}-perm");
        Cluster::create(
            &claims,
            &self.blueprint.claim(&claim, &state.class, "ReadWriteOnce", self.size, None),
        )
        .await?;
        let writer = format!("{slug}-perm-writer");
        let pod =
            self.blueprint.agent_pod(&writer, &state.class, &claim, &objects::write_args(1 << 20), None);
        let mut report = CheckReport::new(Check::Permissions, Status::Passed, "");
        let start = Instant::now();
        self.start_pod(&pod, state, &mut CheckReport::new(Check::Permissions, Status::Passed, ""), None, "")
            .await?;
        let (code, agent) = self.agent_result(&writer).await?;
        report.timings.push(timing("written", ms(start)));
        let who = format!("a non-root pod (uid {0}, fsGroup {0})", objects::POD_USER);
        if code == 0 {
            report.detail =
                Some(format!("{who} wrote to a new volume; the driver's fsGroupPolicy: {policy}"));
        } else {
            report.status = Status::Failed;
            report.detail = Some(format!(
                "{who} could not write to a new volume ({}); the driver's fsGroupPolicy: {policy}",
                agent.error.unwrap_or_default()
            ));
            // fsGroupPolicy None: the kubelet never applies fsGroup (KS502); else the volume's
            // root is not writable for the pod's user (KS501).
            report.rules.push(if policy == "None" { "KS502" } else { "KS501" }.to_string());
        }
        self.cluster.delete_and_wait(&pods, &writer).await?;
        self.cluster.delete_and_wait(&claims, &claim).await?;
        Ok(report)
    }

    /// A clone of the claim (dataSource: the claim), verified by a reader, where the driver
    /// clones; a failed clone fails the check, an unsupported one is said.
    async fn clone_claim(&self, state: &mut State, report: &mut CheckReport) -> Result<String, StepError> {
        let clone = format!("{}-clone", state.prefix.clone());
        let source = state.claim.clone();
        let claim = self.blueprint.claim(
            &clone,
            &state.class,
            "ReadWriteOnce",
            self.size,
            Some(("PersistentVolumeClaim", &source)),
        );
        let start = Instant::now();
        Cluster::create(&self.cluster.ns::<PersistentVolumeClaim>(), &claim).await?;
        let reader = format!("{clone}-reader");
        let sha = state.sha256.clone().unwrap_or_default();
        let pod = self.blueprint.agent_pod(&reader, &state.class, &clone, &objects::verify_args(&sha), None);
        Cluster::create(&self.cluster.ns::<Pod>(), &pod).await?;
        if let Some(why) = self.running_or_unprovisioned(&reader, &clone).await? {
            return Ok(format!("clone not checked: {why}"));
        }
        let (code, agent) = self.agent_result(&reader).await?;
        report.timings.push(timing("cloned-and-verified", ms(start)));
        if code == 0 && agent.matches == Some(true) {
            Ok("the clone of the claim holds it too".into())
        } else {
            report.status = Status::Failed;
            Ok(format!(
                "but the clone of the claim holds {} files, {} bytes, not the written data",
                agent.files.unwrap_or(0),
                agent.bytes.unwrap_or(0)
            ))
        }
    }

    /// `kstor bench` in a pod on the claim: each profile's p50 and p99, and where the p99
    /// falls in kstor's pattern table.
    async fn bench(&self, state: &mut State) -> Result<CheckReport, StepError> {
        let mut report = CheckReport::new(Check::Bench, Status::Passed, "");
        self.release(state, &mut CheckReport::new(Check::Bench, Status::Passed, "")).await?;
        let name = format!("{}-bench", state.prefix);
        let claim = state.claim.clone();
        let pod = self.blueprint.agent_pod(
            &name,
            &state.class,
            &claim,
            &objects::bench_args(self.bench_millis),
            None,
        );
        self.start_pod(&pod, state, &mut CheckReport::new(Check::Bench, Status::Passed, ""), None, "")
            .await?;
        state.pod = Some(name.clone());
        let (code, agent) = self.agent_result(&name).await?;
        if code != 0 || agent.bench.is_empty() {
            return Err(StepError::Failed(format!(
                "kstor bench in the pod exited {code}: {}",
                agent.error.unwrap_or_default()
            )));
        }
        let mut details = Vec::new();
        for result in &agent.bench {
            report.timings.push(timing(&format!("{}-p50", result.profile), result.p50_ms));
            report.timings.push(timing(&format!("{}-p99", result.profile), result.p99_ms));
            let patterns = if result.patterns.is_empty() {
                "between the table's rows".to_string()
            } else {
                result.patterns.join(", ")
            };
            details.push(format!(
                "{}: p99 {:.2} ms ({patterns}): {}",
                result.profile, result.p99_ms, result.verdict
            ));
        }
        report.detail = Some(details.join("; "));
        Ok(report)
    }

    /// How long a holding pod waits: the step's deadline, in whole seconds.
    fn step_seconds(&self) -> u64 {
        self.cluster.step_timeout.as_secs().max(1)
    }

    /// Waits until `pod` runs; `Some(reason)` when its claim cannot be provisioned in the mode
    /// it asks for (the driver does not support it).
    async fn running_or_unprovisioned(&self, pod: &str, claim: &str) -> Result<Option<String>, StepError> {
        self.cluster
            .wait(&format!("pod {pod} running"), || async {
                if self.cluster.pod(pod).await?.is_some_and(|p| started(&p)) {
                    return Ok(Some(None));
                }
                let events = self.cluster.events().await?;
                let failed = events.iter().find(|e| {
                    e.involved_object.name.as_deref() == Some(claim)
                        && e.reason.as_deref() == Some("ProvisioningFailed")
                });
                Ok(failed.map(|e| {
                    Some(format!(
                        "the driver does not provision it ({})",
                        e.message.clone().unwrap_or_default()
                    ))
                }))
            })
            .await
    }

    /// Cordons or uncordons a node, recording it so that the cleanup uncordons it whatever
    /// happens (error, timeout, SIGINT).
    async fn cordon(&self, node: &str, cordon: bool) -> Result<(), StepError> {
        if cordon {
            self.created.lock().expect("not poisoned").cordoned = Some(node.to_string());
        }
        let patch = json!({"spec": {"unschedulable": cordon}});
        self.cluster.all::<Node>().patch(node, &PatchParams::default(), &Patch::Merge(&patch)).await?;
        if !cordon {
            self.created.lock().expect("not poisoned").cordoned = None;
        }
        Ok(())
    }

    async fn snapshot(&self, state: &mut State, preflight: &Preflight) -> Result<CheckReport, StepError> {
        let mut report = CheckReport::new(Check::Snapshot, Status::Passed, "");
        let class = match (&self.snapshot_class, &preflight.snapshot_class) {
            (Some(c), _) => c.clone(),
            (None, Some(c)) => c.clone(),
            (None, None) => {
                report.status = Status::Skipped;
                report.detail = Some(
                    preflight
                        .snapshot_skip
                        .clone()
                        .unwrap_or_else(|| "no VolumeSnapshotClass for the driver".into()),
                );
                report.rules.push("KS401".into());
                return Ok(report);
            }
        };
        // No snapshot of a mounted, unflushed filesystem: the pod goes first.
        self.release(state, &mut report).await?;
        let name = format!("{}-snap", state.prefix.clone());
        let snapshots = self.cluster.snapshots();
        let object: DynamicObject =
            serde_json::from_value(self.blueprint.snapshot(&name, &state.class, &state.claim, &class))
                .map_err(|e| StepError::Failed(e.to_string()))?;
        let start = Instant::now();
        Cluster::create(&snapshots, &object).await?;
        self.cluster
            .wait(&format!("snapshot {name} readyToUse"), || async {
                let snapshot = snapshots.get_opt(&name).await?;
                if let Some(error) =
                    snapshot.as_ref().and_then(|s| s.data["status"]["error"]["message"].as_str())
                {
                    return Err(StepError::Failed(format!("snapshot {name}: {error}")));
                }
                Ok(snapshot.filter(|s| s.data["status"]["readyToUse"] == Value::Bool(true)).map(|_| ()))
            })
            .await?;
        report.timings.push(timing("ready", ms(start)));
        let restore = format!("{}-restore", state.prefix.clone());
        let claim = self.blueprint.claim(
            &restore,
            &state.class,
            "ReadWriteOnce",
            self.size,
            Some(("VolumeSnapshot", &name)),
        );
        let start = Instant::now();
        Cluster::create(&self.cluster.ns::<PersistentVolumeClaim>(), &claim).await?;
        let mut restore_report = CheckReport::new(Check::Snapshot, Status::Passed, "");
        let (_, agent, code) = self
            .verify_on(state, &format!("{restore}-reader"), &restore, None, &mut restore_report, "")
            .await?;
        report.timings.push(timing("restored-and-verified", ms(start)));
        match (code, agent.matches) {
            (0, Some(true)) => {
                let clone = self.clone_claim(state, &mut report).await?;
                report.detail = Some(format!(
                    "snapshot class {class}; the restored claim holds the written data; {clone}"
                ));
                Ok(report)
            }
            (_, Some(false)) => {
                report.status = Status::Failed;
                report.detail = Some(format!(
                    "the restore of snapshot {name} holds {} files, {} bytes, not the written data{}",
                    agent.files.unwrap_or(0),
                    agent.bytes.unwrap_or(0),
                    if agent.files == Some(0) { " (an empty restore)" } else { "" }
                ));
                Ok(report)
            }
            _ => Err(StepError::Failed(format!(
                "the restore reader exited {code}: {}",
                agent.error.unwrap_or_default()
            ))),
        }
    }

    async fn expand(&self, state: &mut State, class: &Summary) -> Result<CheckReport, StepError> {
        if class.allow_volume_expansion != Some(true) {
            let mut report = CheckReport::new(
                Check::Expand,
                Status::Skipped,
                "the class does not set allowVolumeExpansion: true",
            );
            report.rules.push("KS701".into());
            return Ok(report);
        }
        let mut report = CheckReport::new(Check::Expand, Status::Passed, "");
        let grown = self.size + self.expand_by;
        let claims: Api<PersistentVolumeClaim> = self.cluster.ns();
        let patch = json!({"spec": {"resources": {"requests": {"storage": objects::quantity(grown)}}}});
        let start = Instant::now();
        claims.patch(&state.claim, &PatchParams::default(), &Patch::Merge(&patch)).await?;
        // The controller side: the volume grows (the PV's capacity).
        let volume = state.volume.clone().unwrap_or_default();
        let volumes: Api<PersistentVolume> = self.cluster.all();
        self.cluster
            .wait(&format!("volume {volume} capacity {}", objects::quantity(grown)), || async {
                let pv = volumes.get_opt(&volume).await?;
                let capacity = pv
                    .and_then(|v| v.spec?.capacity?.get("storage").map(|q| q.0.clone()))
                    .and_then(|q| kstor_text::quantity::parse_size(&q).ok());
                Ok(capacity.filter(|c| *c >= grown).map(|_| ()))
            })
            .await?;
        report.timings.push(timing("volume-expanded", ms(start)));
        // The node side: the filesystem grows when a pod mounts the volume (or online, in the
        // pod using it); the claim's capacity follows. A pod mounting it shows both.
        if state.pod.is_none() {
            let name = format!("{}-stat", state.prefix.clone());
            let pod =
                self.blueprint.agent_pod(&name, &state.class, &state.claim, &objects::stat_args(), None);
            self.start_pod(&pod, state, &mut CheckReport::new(Check::Expand, Status::Passed, ""), None, "")
                .await?;
            state.pod = Some(name);
        }
        self.cluster
            .wait(&format!("claim {} capacity {}", state.claim, objects::quantity(grown)), || async {
                let claim = self.cluster.claim(&state.claim).await?;
                let capacity = claim
                    .and_then(|c| c.status?.capacity?.get("storage").map(|q| q.0.clone()))
                    .and_then(|q| kstor_text::quantity::parse_size(&q).ok());
                Ok(capacity.filter(|c| *c >= grown).map(|_| ()))
            })
            .await?;
        report.timings.push(timing("capacity", ms(start)));
        let name = state.pod.clone().unwrap_or_default();
        let (code, agent) = if name.ends_with("-stat") {
            self.agent_result(&name).await?
        } else {
            (0, AgentReport { capacity_bytes: Some(grown), ..AgentReport::default() })
        };
        report.timings.push(timing("filesystem", ms(start)));
        let size = agent.capacity_bytes.unwrap_or(0);
        // Filesystems keep a few percent for metadata.
        if code != 0 || size < grown / 100 * 90 {
            report.status = Status::Failed;
            report.detail = Some(format!(
                "the claim reports {} but the filesystem inside the pod is {} bytes",
                objects::quantity(grown),
                size
            ));
        } else {
            report.detail =
                Some(format!("grown to {}; the filesystem shows {size} bytes", objects::quantity(grown)));
        }
        Ok(report)
    }
}

/// A line on stderr per step, with its elapsed time, when stderr is a terminal (nothing on
/// a pipe or in CI logs, where the report says it all).
struct Progress {
    line: Option<String>,
    start: Instant,
}

impl Progress {
    fn start(class: &str, step: &str) -> Progress {
        use std::io::IsTerminal;
        let line = std::io::stderr().is_terminal().then(|| format!("kstor probe: {class}: {step}"));
        if let Some(line) = &line {
            eprintln!("{line} …");
        }
        Progress { line, start: Instant::now() }
    }

    fn done(self, status: Option<Status>) {
        if let Some(line) = &self.line {
            let status = match status {
                Some(Status::Passed) => "passed",
                Some(Status::Failed) => "FAILED",
                Some(Status::Skipped) => "skipped",
                None => "done",
            };
            eprintln!("{line}: {status} in {:.1} s", self.start.elapsed().as_secs_f64());
        }
    }
}

/// The fields of a StorageClass the checks read.
#[derive(Clone, Debug)]
pub struct Summary {
    /// `provisioner`.
    pub provisioner: String,
    /// `volumeBindingMode`.
    pub volume_binding_mode: Option<String>,
    /// `allowVolumeExpansion`.
    pub allow_volume_expansion: Option<bool>,
    /// `reclaimPolicy`.
    pub reclaim_policy: Option<String>,
}

impl From<&StorageClass> for Summary {
    fn from(class: &StorageClass) -> Summary {
        Summary {
            provisioner: class.provisioner.clone(),
            volume_binding_mode: class.volume_binding_mode.clone(),
            allow_volume_expansion: class.allow_volume_expansion,
            reclaim_policy: class.reclaim_policy.clone(),
        }
    }
}

/// The claim a pod mounts.
fn pod_claim(pod: &Pod) -> Option<String> {
    pod.spec
        .as_ref()?
        .volumes
        .as_ref()?
        .iter()
        .find_map(|v| v.persistent_volume_claim.as_ref().map(|c| c.claim_name.clone()))
}

/// Whether a pod's container started (running, or already finished).
fn started(pod: &Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("");
    matches!(phase, "Running" | "Succeeded" | "Failed")
}
