//! `kstor generate`: the bundle that realises a recommendation on a provider, every non-obvious
//! choice commented, checked with kstor's own rules before it is handed out.

mod objects;
mod snapshots;

use kstor_model::catalog::{Pattern, Topology};
use kstor_model::quantity::parse_quantity;
use serde::Serialize;

use crate::PlanError;
use crate::recommend::{Context, Recommendation, Request, Target, recommend};
use crate::scenario::Blueprint;
use crate::yaml_out::{Document, write_stream};

/// `--zones` of `generate`: zone names, or only a count.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Zones {
    /// Not given: one zone, wherever the scheduler puts it.
    #[default]
    Unspecified,
    /// A count without names (`--zones 3`).
    Count(usize),
    /// Zone names (`--zones us-east-1a,us-east-1b`).
    Names(Vec<String>),
}

impl Zones {
    /// Parses `--zones`: a number, or comma-separated zone names.
    pub fn parse(text: &str) -> Result<Zones, String> {
        let text = text.trim();
        if let Ok(n) = text.parse::<usize>() {
            return if n == 0 { Err("--zones must be at least 1".into()) } else { Ok(Zones::Count(n)) };
        }
        let names: Vec<String> =
            text.split(',').map(|z| z.trim().to_string()).filter(|z| !z.is_empty()).collect();
        if names.is_empty() {
            return Err("--zones needs zone names (us-east-1a,us-east-1b) or a count".into());
        }
        for name in &names {
            let valid = name.len() <= 63
                && name.chars().all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
                && name.starts_with(|c: char| c.is_ascii_alphanumeric())
                && name.ends_with(|c: char| c.is_ascii_alphanumeric());
            if !valid {
                return Err(format!("\"{name}\" is not a valid zone label value"));
            }
        }
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        if unique.len() != names.len() {
            return Err("--zones names a zone twice".into());
        }
        Ok(Zones::Names(names))
    }

    /// How many zones.
    pub fn count(&self) -> usize {
        match self {
            Zones::Unspecified => 1,
            Zones::Count(n) => *n,
            Zones::Names(names) => names.len(),
        }
    }
}

/// What `kstor generate` is asked for.
#[derive(Clone, Debug, Default)]
pub struct GenerateRequest {
    /// `--workload`.
    pub workload: String,
    /// `--provider` / `--provisioner`.
    pub target: Option<Target>,
    /// `--zones`.
    pub zones: Zones,
    /// `--size` (default: the scenario's, raised to the offering's minimum).
    pub size: Option<String>,
    /// `--replicas`.
    pub replicas: Option<u32>,
    /// `--name` (default: the engine's name).
    pub name: Option<String>,
    /// `--namespace`.
    pub namespace: String,
    /// `--pattern`.
    pub pattern: Option<Pattern>,
}

/// A generated bundle.
#[derive(Clone, Debug, Serialize)]
pub struct Bundle {
    /// The recommendation it realises.
    pub recommendation: Recommendation,
    /// The YAML documents.
    #[serde(skip)]
    pub documents: Vec<Document>,
    /// Values the user must fill in before applying (parameter → what it is).
    pub placeholders: Vec<(String, String)>,
}

impl Bundle {
    /// The bundle as one YAML stream.
    pub fn to_yaml(&self) -> String {
        write_stream(&self.documents)
    }
}

/// Everything the object builders need, resolved once.
pub(crate) struct Spec<'a> {
    pub rec: &'a Recommendation,
    pub blueprint: &'a Blueprint,
    pub name: String,
    pub namespace: String,
    pub size: String,
    pub size_bytes: u64,
    pub size_note: Option<String>,
    pub zones: Zones,
}

impl Spec<'_> {
    /// The class name for the data claim.
    pub fn class_name(&self) -> String {
        let offering = self.rec.realization.as_ref().map_or("data".to_string(), |r| r.offering.to_string());
        format!("{}-{offering}", self.name)
    }

    /// Labels every object carries.
    pub fn labels(&self) -> crate::yaml_out::Map {
        crate::yaml_out::Map::new()
            .with("app.kubernetes.io/name", self.blueprint.engine.as_str())
            .with("app.kubernetes.io/instance", self.name.as_str())
    }

    /// Replaces `{name}`, `{uid}`, `{size_bytes}`, `{size_mib}` in blueprint values.
    pub fn fill(&self, text: &str) -> String {
        text.replace("{name}", &self.name)
            .replace("{uid}", &self.blueprint.user.to_string())
            .replace("{size_bytes}", &self.size_bytes.to_string())
            .replace("{size_mib}", &(self.size_bytes / (1024 * 1024)).to_string())
    }
}

/// Generates the bundle for a request.
pub fn generate(ctx: &Context<'_>, request: &GenerateRequest) -> Result<Bundle, PlanError> {
    let rec = recommend(
        ctx,
        &Request {
            workload: request.workload.clone(),
            replicas: request.replicas,
            zones: Some(request.zones.count()),
            target: request.target.clone(),
            pattern: request.pattern,
            default_engine: true,
        },
    )?;
    let scenario = ctx.scenarios.get(&rec.scenario).expect("recommend returns a catalogued scenario");
    let engine = rec.engine.clone().unwrap_or_else(|| scenario.default_engine.clone());
    let blueprint = ctx.scenarios.blueprint(&engine).ok_or_else(|| {
        let with: Vec<&str> = scenario
            .engines
            .iter()
            .filter(|e| ctx.scenarios.blueprint(e).is_some())
            .map(String::as_str)
            .collect();
        PlanError::new(
            format!("kstor has no blueprint to run {engine} ({}); `kstor recommend --workload {engine}` still gives its storage settings", crate::recommend::a(&scenario.title)),
            format!("generate one of {} and swap the image, or --workload {}", with.join(", "), scenario.id),
        )
    })?;
    if rec.realization.is_none() && !matches!(rec.pattern, Pattern::EphemeralMemory | Pattern::EphemeralDisk)
    {
        return Err(PlanError::new(
            format!(
                "{} needs a volume ({}), and no storage was named",
                crate::recommend::a(&scenario.title),
                rec.pattern
            ),
            "add --provider (aws, gcp, azure, ceph, longhorn, openebs, topolvm, local-path, nfs) or --provisioner NAME",
        ));
    }
    check_zones(&rec, &request.zones)?;
    let name = request.name.clone().unwrap_or_else(|| engine.clone());
    check_dns_label(&name, "--name")?;
    check_dns_label(&request.namespace, "--namespace")?;
    let (size, size_bytes, size_note) = size_for(&rec, request.size.as_deref(), &scenario.size)?;
    let spec = Spec {
        rec: &rec,
        blueprint,
        name,
        namespace: request.namespace.clone(),
        size,
        size_bytes,
        size_note,
        zones: request.zones.clone(),
    };
    let mut documents = Vec::new();
    let mut placeholders = Vec::new();
    if let Some(class) = objects::storage_class(&spec, &mut placeholders) {
        documents.push(class);
    }
    if rec.decisions.snapshot_class {
        documents.push(snapshots::snapshot_class(&spec));
    }
    documents.extend(objects::workload_objects(&spec));
    if rec.decisions.snapshots {
        documents.extend(snapshots::schedule(&spec));
    }
    if let Some(first) = documents.first_mut() {
        first.header = header(&spec, &placeholders);
    }
    let bundle = Bundle { recommendation: rec, documents, placeholders };
    self_check(&bundle)?;
    Ok(bundle)
}

/// Lints the bundle as a complete input under every rule; a finding at warning or above is a
/// bug in kstor's data or builders, and the bundle is withheld rather than handed out wrong.
pub fn self_check(bundle: &Bundle) -> Result<(), PlanError> {
    let findings = lint_bundle(&bundle.to_yaml());
    let serious: Vec<String> = findings
        .iter()
        .filter(|(severity, _)| *severity >= kstor_rules::Severity::Warning)
        .map(|(_, text)| text.clone())
        .collect();
    if serious.is_empty() {
        Ok(())
    } else {
        Err(PlanError::new(
            format!("internal error: the generated bundle fails kstor's own rules: {}", serious.join("; ")),
            "please report this with the command line; `--pattern` or another provider may avoid it",
        ))
    }
}

/// Every finding of kstor's rules on a YAML text taken as a complete bundle: (severity, `CODE: message`).
pub fn lint_bundle(yaml: &str) -> Vec<(kstor_rules::Severity, String)> {
    let mut engine = kstor_engine::Engine::default();
    engine.settings_mut().options.complete = true;
    let (_, result) = engine.lint_texts(&[("generated.yaml".to_string(), yaml.to_string())]);
    result
        .findings
        .into_iter()
        .map(|r| (r.finding.severity, format!("{}: {}", r.finding.rule.code, r.finding.message)))
        .collect()
}

fn check_dns_label(value: &str, flag: &str) -> Result<(), PlanError> {
    let valid = !value.is_empty()
        && value.len() <= 40
        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && !value.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(PlanError::new(
            format!("{flag} \"{value}\" is not a usable name"),
            "use lowercase letters, digits and '-', starting with a letter, at most 40 characters (claim and snapshot names are built from it)",
        ))
    }
}

/// A zonal pattern on a multi-zone request needs the zones' names for `allowedTopologies`.
fn check_zones(rec: &Recommendation, zones: &Zones) -> Result<(), PlanError> {
    let Some(r) = &rec.realization else { return Ok(()) };
    let zonal = r.capabilities.topology == Topology::Zonal;
    if let Zones::Count(n) = zones
        && *n > 1
        && zonal
    {
        return Err(PlanError::new(
            format!(
                "{} volumes are zonal, and a {n}-zone request without zone names cannot pin them: the StorageClass's allowedTopologies needs the zones",
                r.title
            ),
            format!(
                "name the zones: --zones {}",
                (0..*n).map(|i| format!("zone-{}", (b'a' + i as u8) as char)).collect::<Vec<_>>().join(",")
            ),
        ));
    }
    if let (Some(need), Zones::Names(names)) = (r.spec.zones, zones)
        && names.len() < need
    {
        return Err(PlanError::new(
            format!("{} spans {need} zones, and only {} was named", r.title, names.len()),
            format!("name at least {need} zones, or leave --zones out and let the provider pick"),
        ));
    }
    Ok(())
}

/// The size: requested (checked against the offering's minimum) or the scenario's default
/// (raised to it).
fn size_for(
    rec: &Recommendation,
    requested: Option<&str>,
    default: &str,
) -> Result<(String, u64, Option<String>), PlanError> {
    let text = requested.unwrap_or(default).trim();
    let bytes = parse_quantity(text).filter(|b| *b >= 1.0 && b.is_finite()).ok_or_else(|| {
        PlanError::new(format!("--size \"{text}\" is not a storage quantity"), "write it like 100Gi or 1Ti")
    })?;
    let min = rec.realization.as_ref().and_then(|r| r.spec.min_size.as_deref().map(|m| (r, m)));
    if let Some((r, min_text)) = min {
        let min_bytes = parse_quantity(min_text).unwrap_or(0.0);
        if bytes < min_bytes {
            if requested.is_some() {
                return Err(PlanError::new(
                    format!("{} volumes start at {min_text}; {text} is below that", r.title),
                    format!("--size {min_text} or more"),
                ));
            }
            return Ok((
                min_text.to_string(),
                min_bytes as u64,
                Some(format!("{} volumes start at {min_text}", r.title)),
            ));
        }
    }
    Ok((text.to_string(), bytes as u64, None))
}

fn header(spec: &Spec<'_>, placeholders: &[(String, String)]) -> Vec<String> {
    let rec = spec.rec;
    let mut lines = vec![
        format!("kstor generate: {}", crate::render::headline(rec)),
        format!(
            "Pattern: {} ({}){}: {}.",
            rec.pattern_title,
            rec.pattern,
            rec.realization.as_ref().map_or(String::new(), |r| format!(" on {}", r.title)),
            rec.why
        ),
    ];
    for note in &rec.notes {
        lines.push(format!("Note: {note}"));
    }
    let secrets: Vec<&str> = spec.blueprint.env.iter().filter_map(|e| e.secret.as_deref()).collect();
    if !placeholders.is_empty() || !secrets.is_empty() {
        lines.push(String::new());
        lines.push("Before applying:".into());
        for (name, what) in placeholders {
            lines.push(format!("- set {name}: {what}"));
        }
        if !secrets.is_empty() {
            lines.push(format!(
                "- create the Secret {}-credentials in {} with the key{} {}",
                spec.name,
                spec.namespace,
                if secrets.len() == 1 { "" } else { "s" },
                secrets.join(", ")
            ));
        }
    }
    lines.push(String::new());
    lines.push(format!("Left to you: {}.", spec.blueprint.leaves));
    lines.push("Checked by `kstor lint`: no finding at warning or above. Images are tags: pin digests in production.".into());
    lines
}

#[cfg(test)]
mod tests;
