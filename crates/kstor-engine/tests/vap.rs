//! `kstor export vap`: every CEL expression compiles, uses only functions of the Kubernetes
//! CEL environment, and is evaluated against every rule's fixtures, where each policy's
//! verdict must agree with `kstor lint` on that object (the object alone, plus the objects a
//! policy takes as parameters: what admission shows a policy).
//!
//! The Kubernetes libraries the policies use are provided as Kubernetes defines them:
//! `quantity(s)`/`isQuantity(s)` with `asApproximateFloat()` (k8s.io/apiserver
//! pkg/cel/library/quantity.go; quantities are represented by their approximate value here,
//! and `quantity()` is only ever used as `quantity(x).asApproximateFloat()`, which the test
//! checks) and `sum()` of the lists library (pkg/cel/library/lists.go).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cel::extractors::This;
use cel::{Context, Env, ExecutionError, Value};
use kstor_engine::Engine;
use kstor_engine::vap::{ExportOptions, Policy, VapExport};

/// The functions and operators the Kubernetes CEL environment provides (docs/vap.md).
const KUBERNETES_FUNCTIONS: &[&str] = &[
    // operators and standard functions
    "_&&_",
    "_||_",
    "!_",
    "_==_",
    "_!=_",
    "_<_",
    "_<=_",
    "_>_",
    "_>=_",
    "_+_",
    "_-_",
    "_?_:_",
    "@in",
    "_[_]",
    "-_",
    "size",
    "has",
    "string",
    "int",
    "double",
    "type",
    "startsWith",
    "endsWith",
    "contains",
    "matches",
    // macros, as the parser expands them
    "all",
    "exists",
    "exists_one",
    "map",
    "filter",
    "@not_strictly_false",
    // strings extension (cel-go ext.Strings, in the Kubernetes environment)
    "lowerAscii",
    "upperAscii",
    "trim",
    "replace",
    "split",
    "join",
    "substring",
    "lastIndexOf",
    "indexOf",
    // Kubernetes libraries
    "quantity",
    "isQuantity",
    "asApproximateFloat",
    "sum",
];

fn export() -> VapExport {
    Engine::default().export_vap(&ExportOptions::default()).expect("export")
}

fn environment() -> Arc<Env> {
    let mut env = Env::stdlib();
    cel::extensions::strings(&mut env).expect("strings extension");
    Arc::new(env)
}

fn quantity(text: Arc<String>) -> Result<f64, ExecutionError> {
    kstor_text::quantity::parse_quantity(&text)
        .ok_or_else(|| ExecutionError::function_error("quantity", format!("invalid quantity `{text}`")))
}

fn is_quantity(text: Arc<String>) -> bool {
    kstor_text::quantity::parse_quantity(&text).is_some()
}

fn as_approximate_float(This(value): This<f64>) -> f64 {
    value
}

fn sum(This(items): This<Arc<Vec<Value>>>) -> Result<Value, ExecutionError> {
    let mut int = 0i64;
    let mut float = 0f64;
    let mut floats = false;
    for item in items.iter() {
        match item {
            Value::Int(n) => int += n,
            Value::Float(f) => {
                floats = true;
                float += f;
            }
            other => return Err(ExecutionError::function_error("sum", format!("cannot sum {other:?}"))),
        }
    }
    Ok(if floats { Value::Float(float + int as f64) } else { Value::Int(int) })
}

/// The policy's variables, in order, each seeing the earlier ones (Kubernetes evaluates
/// them lazily, once; eagerly here, so an error in any variable shows).
fn evaluate_variables(
    evaluator: &Evaluator,
    variables: &[(String, String)],
    object: &serde_json::Value,
    params: Option<&serde_json::Value>,
    namespace: &str,
) -> Result<HashMap<String, Value>, String> {
    let mut values = HashMap::new();
    for (name, expression) in variables {
        let value = evaluator
            .eval(expression, object, params, namespace, &values)
            .map_err(|e| format!("variable {name}: {e}"))?;
        values.insert(name.clone(), value);
    }
    Ok(values)
}

struct Evaluator {
    env: Arc<Env>,
    programs: std::cell::RefCell<HashMap<String, Arc<cel::Program>>>,
}

impl Evaluator {
    fn new() -> Evaluator {
        Evaluator { env: environment(), programs: Default::default() }
    }

    fn eval(
        &self,
        expression: &str,
        object: &serde_json::Value,
        params: Option<&serde_json::Value>,
        namespace: &str,
        variables: &HashMap<String, Value>,
    ) -> Result<Value, String> {
        let cached = self.programs.borrow().get(expression).cloned();
        let program = match cached {
            Some(program) => program,
            None => {
                let program =
                    Arc::new(self.env.compile(expression).map_err(|e| format!("does not compile: {e:?}"))?);
                self.programs.borrow_mut().insert(expression.to_string(), Arc::clone(&program));
                program
            }
        };
        let mut context = Context::with_env(Arc::clone(&self.env));
        context.add_function("quantity", quantity).map_err(|e| format!("{e:?}"))?;
        context.add_function("isQuantity", is_quantity).map_err(|e| format!("{e:?}"))?;
        context.add_function("asApproximateFloat", as_approximate_float).map_err(|e| format!("{e:?}"))?;
        context.add_function("sum", sum).map_err(|e| format!("{e:?}"))?;
        let value = |v: &serde_json::Value| cel::to_value(v).map_err(|e| format!("{e:?}"));
        context.add_variable_from_value("object", value(object)?);
        context.add_variable_from_value("oldObject", Value::Null);
        context.add_variable_from_value(
            "request",
            value(&serde_json::json!({"namespace": namespace, "operation": "CREATE"}))?,
        );
        context.add_variable_from_value(
            "params",
            match params {
                Some(p) => value(p)?,
                None => Value::Null,
            },
        );
        context.add_variable_from_value("variables", Value::from(variables.clone()));
        program.execute(&context).map_err(|e| format!("fails: {e:?}"))
    }
}

fn functions_used(env: &Env, expression: &str) -> Vec<String> {
    let program = env.compile(expression).expect("compiles");
    program.references().functions().into_iter().map(str::to_string).collect()
}

#[test]
fn every_expression_compiles_and_uses_only_kubernetes_functions() {
    let env = environment();
    let export = export();
    assert!(export.policies.len() >= 12, "{} policies", export.policies.len());
    let mut unknown = BTreeMap::new();
    for policy in &export.policies {
        let mut expressions: Vec<&str> = Vec::new();
        expressions.extend(policy.variables.iter().map(|(_, e)| e.as_str()));
        expressions.extend(policy.match_conditions.iter().map(|(_, e)| e.as_str()));
        for v in &policy.validations {
            expressions.push(&v.expression);
            expressions.push(&v.message_expression);
        }
        for expression in expressions {
            if let Err(e) = env.compile(expression) {
                panic!("{}: does not compile: {e:?}\n{expression}", policy.name());
            }
            for f in functions_used(&env, expression) {
                if !KUBERNETES_FUNCTIONS.contains(&f.as_str()) {
                    unknown.entry(f).or_insert_with(|| policy.name());
                }
            }
            // quantity() is only used for its approximate value (see the module comment).
            let mut rest = expression;
            while let Some(at) = rest.find("quantity(") {
                let before = &rest[..at];
                if !before.ends_with("is") && !before.ends_with("Is") {
                    let after = &rest[at..];
                    let close = matching_paren(after, "quantity".len());
                    assert!(
                        after[close + 1..].starts_with(".asApproximateFloat()"),
                        "{}: quantity() used other than as quantity(x).asApproximateFloat(): {expression}",
                        policy.name()
                    );
                }
                rest = &rest[at + "quantity(".len()..];
            }
        }
    }
    assert!(unknown.is_empty(), "functions outside the Kubernetes CEL environment: {unknown:?}");
}

fn matching_paren(text: &str, open: usize) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices().skip(open) {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses in {text}");
}

/// (group, plural) of a kind.
fn resource_of(kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        "Pod" => ("", "pods"),
        "ReplicationController" => ("", "replicationcontrollers"),
        "PersistentVolume" => ("", "persistentvolumes"),
        "PersistentVolumeClaim" => ("", "persistentvolumeclaims"),
        "Deployment" => ("apps", "deployments"),
        "StatefulSet" => ("apps", "statefulsets"),
        "DaemonSet" => ("apps", "daemonsets"),
        "ReplicaSet" => ("apps", "replicasets"),
        "Job" => ("batch", "jobs"),
        "CronJob" => ("batch", "cronjobs"),
        "StorageClass" => ("storage.k8s.io", "storageclasses"),
        "VolumeSnapshotClass" => ("snapshot.storage.k8s.io", "volumesnapshotclasses"),
        "VolumeSnapshot" => ("snapshot.storage.k8s.io", "volumesnapshots"),
        "VolumeSnapshotContent" => ("snapshot.storage.k8s.io", "volumesnapshotcontents"),
        _ => return None,
    })
}

fn matches(policy: &Policy, object: &serde_json::Value) -> bool {
    let kind = object["kind"].as_str().unwrap_or_default();
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let Some((kind_group, plural)) = resource_of(kind) else {
        return false;
    };
    if kind_group != group {
        return false;
    }
    policy.resources.iter().any(|r| {
        r.group == group
            && r.resources.contains(&plural)
            && (!policy.exact_versions || r.versions.contains(&version))
    })
}

fn namespace_of(object: &serde_json::Value) -> String {
    object["metadata"]["namespace"].as_str().unwrap_or("default").to_string()
}

/// The objects of a manifest file the API server would accept: objects KS001 reports
/// (wrong types or values) never reach admission.
fn admissible_objects(name: &str, text: String) -> Vec<serde_json::Value> {
    let validity = Engine::with_rules(&["KS001"]).expect("engine");
    let (graph, invalid) = validity.lint_texts(&[(name.to_string(), text)]);
    let refused: Vec<_> = invalid.findings.iter().filter_map(|f| f.object(&graph)).collect();
    graph
        .workspace
        .objects
        .iter()
        .filter(|o| !refused.contains(&&o.reference))
        .map(|o| without_nulls(o.root().to_json()))
        .collect()
}

/// The object as admission sees it: the API server decodes into typed objects, where a null
/// field (`initContainers:` with nothing after it) is simply absent.
fn without_nulls(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, without_nulls(v))).collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(without_nulls).collect())
        }
        other => other,
    }
}

fn is_manifest(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
}

/// Every object of the fixtures of every rule, by file.
fn fixture_files() -> Vec<(PathBuf, Vec<serde_json::Value>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kstor-rules/fixtures");
    let mut files = Vec::new();
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(&root).expect("fixtures").map(|e| e.expect("entry").path()).collect();
    dirs.sort();
    for dir in dirs {
        for sub in ["bad", "good"] {
            let Ok(entries) = std::fs::read_dir(dir.join(sub)) else { continue };
            let mut paths: Vec<PathBuf> = entries.map(|e| e.expect("entry").path()).collect();
            paths.sort();
            for path in paths.into_iter().filter(|p| is_manifest(p)) {
                let text = std::fs::read_to_string(&path).expect("read fixture");
                let objects = admissible_objects(&path.display().to_string(), text);
                files.push((path, objects));
            }
        }
    }
    files
}

/// Every object of the corpus of real manifests (../shared/corpus), by file.
fn corpus_files() -> Vec<(PathBuf, Vec<serde_json::Value>)> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(corpus.is_dir(), "{} is missing: the corpus tests need ../shared", corpus.display());
    let mut paths = Vec::new();
    let mut stack = vec![corpus];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("corpus dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if is_manifest(&path) {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            let objects = admissible_objects(&path.display().to_string(), text);
            Some((path, objects))
        })
        .collect()
}

/// Does the policy fail for this object? `None` when it does not apply (no match, a false
/// match condition, or no parameter object).
fn policy_fails(
    evaluator: &Evaluator,
    policy: &Policy,
    object: &serde_json::Value,
    params: &[&serde_json::Value],
) -> Result<Option<(bool, Vec<String>)>, String> {
    let namespace = namespace_of(object);
    let no_variables = HashMap::new();
    for (name, condition) in &policy.match_conditions {
        match evaluator.eval(condition, object, None, &namespace, &no_variables)? {
            Value::Bool(true) => {}
            Value::Bool(false) => return Ok(None),
            other => return Err(format!("match condition {name} is not a bool: {other:?}")),
        }
    }
    let runs: Vec<Option<&serde_json::Value>> = match &policy.param {
        None => vec![None],
        Some(_) if params.is_empty() => return Ok(None),
        Some(_) => params.iter().map(|p| Some(*p)).collect(),
    };
    let mut failed = false;
    let mut messages = Vec::new();
    for params in runs {
        let variables = evaluate_variables(evaluator, &policy.variables, object, params, &namespace)?;
        for validation in &policy.validations {
            match evaluator.eval(&validation.expression, object, params, &namespace, &variables)? {
                Value::Bool(true) => {}
                Value::Bool(false) => {
                    failed = true;
                    match evaluator.eval(
                        &validation.message_expression,
                        object,
                        params,
                        &namespace,
                        &variables,
                    )? {
                        Value::String(s) => messages.push(s.to_string()),
                        other => return Err(format!("message is not a string: {other:?}")),
                    }
                }
                other => return Err(format!("validation is not a bool: {other:?}")),
            }
        }
    }
    Ok(Some((failed, messages)))
}

/// Does `kstor lint`, with only this rule, report the object (given with its parameters)?
fn lint_fires(code: &str, object: &serde_json::Value, params: &[&serde_json::Value]) -> bool {
    let mut documents = vec![serde_json::to_string_pretty(object).expect("json")];
    for p in params {
        if *p != object {
            documents.push(serde_json::to_string_pretty(p).expect("json"));
        }
    }
    let engine = Engine::with_rules(&[code]).expect("engine");
    let (graph, result) = engine.lint_texts(&[("object.yaml".to_string(), documents.join("\n---\n"))]);
    let kind = object["kind"].as_str();
    let name = object["metadata"]["name"].as_str();
    result.findings.iter().any(|f| {
        f.finding.rule.code == code
            && f.object(&graph)
                .is_some_and(|r| Some(r.kind.as_str()) == kind && Some(r.name.as_str()) == name)
    })
}

/// What the agreement check found: disagreements, evaluation errors, and per rule how many
/// objects failed and passed its policies.
#[derive(Default)]
struct Agreement {
    disagreements: Vec<String>,
    errors: Vec<String>,
    coverage: BTreeMap<&'static str, (usize, usize)>,
}

impl Agreement {
    /// No evaluation error and no disagreement; prints how many objects each rule judged.
    fn assert_agrees(&self, input: &str) {
        eprintln!("{input} objects judged per rule (failing, passing): {:?}", self.coverage);
        assert!(self.errors.is_empty(), "evaluation errors:\n{}", self.errors.join("\n"));
        assert!(
            self.disagreements.is_empty(),
            "{} disagreements:\n{}",
            self.disagreements.len(),
            self.disagreements.join("\n")
        );
    }
}

fn check_agreement(
    evaluator: &Evaluator,
    export: &VapExport,
    files: &[(PathBuf, Vec<serde_json::Value>)],
) -> Agreement {
    let mut found = Agreement::default();
    for (path, objects) in files {
        for object in objects {
            let mut by_rule: BTreeMap<&'static str, (bool, Vec<&serde_json::Value>, Vec<String>)> =
                BTreeMap::new();
            for policy in export.policies.iter().filter(|p| matches(p, object)) {
                let params: Vec<&serde_json::Value> = match &policy.param {
                    None => Vec::new(),
                    Some(kind) => objects
                        .iter()
                        .filter(|o| {
                            o["kind"] == kind.kind
                                && o["apiVersion"] == kind.api_version
                                && (!kind.namespaced || namespace_of(o) == namespace_of(object))
                        })
                        .collect(),
                };
                let entry = by_rule.entry(policy.code()).or_insert((false, Vec::new(), Vec::new()));
                match policy_fails(evaluator, policy, object, &params) {
                    Ok(Some((failed, messages))) => {
                        entry.0 |= failed;
                        entry.2.extend(messages);
                    }
                    Ok(None) => {}
                    Err(e) => found.errors.push(format!(
                        "{} on {} in {}: {e}",
                        policy.name(),
                        describe(object),
                        path.display()
                    )),
                }
                for p in params {
                    if !entry.1.contains(&p) {
                        entry.1.push(p);
                    }
                }
            }
            for (code, (vap, params, messages)) in by_rule {
                let lint = lint_fires(code, object, &params);
                let counts = found.coverage.entry(code).or_default();
                if vap {
                    counts.0 += 1
                } else {
                    counts.1 += 1
                }
                if vap != lint {
                    found.disagreements.push(format!(
                        "{code} on {} in {}: policy {}, kstor lint {}",
                        describe(object),
                        path.display(),
                        if vap { "fails" } else { "passes" },
                        if lint { "reports it" } else { "does not" },
                    ));
                }
                let name = object["metadata"]["name"].as_str().unwrap_or_default();
                for m in &messages {
                    if !m.starts_with(&format!("{code} ")) || !m.contains(name) {
                        found.errors.push(format!(
                            "{code} on {}: message without its code or the object's name: {m}",
                            describe(object)
                        ));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn policies_agree_with_lint_on_every_fixture_object() {
    let evaluator = Evaluator::new();
    let export = export();
    let files = fixture_files();
    assert!(files.len() > 100, "{} fixture files", files.len());
    let found = check_agreement(&evaluator, &export, &files);
    found.assert_agrees("fixture");
    for policy in &export.policies {
        let (failing, passing) = found.coverage.get(policy.code()).copied().unwrap_or_default();
        // A policy matching only old API versions (KS403) never sees a passing object: the
        // current version is not matched at all.
        let passing_needed = !policy.exact_versions;
        assert!(
            failing > 0 && (passing > 0 || !passing_needed),
            "{}: fixtures give {failing} failing and {passing} passing objects",
            policy.code()
        );
    }
}

#[test]
fn policies_agree_with_lint_on_the_corpus_of_real_manifests() {
    let evaluator = Evaluator::new();
    let export = export();
    let files = corpus_files();
    assert!(files.len() > 400, "{} corpus files", files.len());
    let found = check_agreement(&evaluator, &export, &files);
    found.assert_agrees("corpus");
}

/// KS302's role detection, generated from the role catalog, finds the role kstor finds on
/// every workload of the corpus and the fixtures (whatever its retention policy).
#[test]
fn role_detection_in_cel_agrees_with_kstor() {
    let evaluator = Evaluator::new();
    let export = export();
    let policy = export.policies.iter().find(|p| p.code() == "KS302").expect("KS302 policy");
    let mut files = fixture_files();
    files.extend(corpus_files());
    let mut checked = BTreeMap::new();
    let mut disagreements = Vec::new();
    for (path, objects) in &files {
        for object in objects.iter().filter(|o| matches(policy_for_workloads(policy), o)) {
            let text = serde_json::to_string(object).expect("json");
            let graph = Engine::default().graph_of_texts(&[("object.yaml".to_string(), text)]);
            let Some(workload) = graph.workloads.first() else { continue };
            let expected = workload.role.role.name();
            let variables =
                evaluate_variables(&evaluator, &policy.variables, object, None, &namespace_of(object));
            match variables.map(|mut v| v.remove("role")) {
                Ok(Some(Value::String(found))) => {
                    *checked.entry(expected.to_string()).or_insert(0usize) += 1;
                    if found.as_str() != expected {
                        disagreements.push(format!(
                            "{} in {}: CEL finds {found}, kstor {expected} (evidence {:?})",
                            describe(object),
                            path.display(),
                            workload.role.evidence
                        ));
                    }
                }
                other => disagreements.push(format!("{} in {}: {other:?}", describe(object), path.display())),
            }
        }
    }
    eprintln!("workloads checked per role: {checked:?}");
    assert!(checked.len() >= 5, "too few roles exercised: {checked:?}");
    assert!(disagreements.is_empty(), "{} disagreements:\n{}", disagreements.len(), disagreements.join("\n"));
}

/// The KS302 policy widened to every kind of the Workloads family (its role variables read
/// `object.spec.template`).
fn policy_for_workloads(policy: &Policy) -> &'static Policy {
    let mut widened = policy.clone();
    widened.resources = kstor_engine::vap::PodFamily::Workloads.resources();
    Box::leak(Box::new(widened))
}

fn describe(object: &serde_json::Value) -> String {
    format!(
        "{} {}",
        object["kind"].as_str().unwrap_or("?"),
        object["metadata"]["name"].as_str().unwrap_or("?")
    )
}
