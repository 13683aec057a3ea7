use crate::context::Context;
use crate::finding::Finding;
use crate::rule::Check;

crate::declare_rule! {
    /// ## What it does
    /// Reports input that is not a valid Kubernetes manifest: YAML or JSON syntax errors, an
    /// object without `apiVersion` or `kind`, a field whose value has the wrong type for its
    /// kind (a string where an integer belongs, a number where a string belongs), an
    /// unsupported value of a storage field (`accessModes`, `volumeMode`, `reclaimPolicy`,
    /// `volumeBindingMode`, …), a duplicate key, invalid base64 in a Secret, and files that
    /// exceed kstor's input limits (size, nesting depth, alias expansion).
    ///
    /// Only the broken document (or object) is skipped; every other document and file is
    /// still linted.
    ///
    /// ## Why it matters
    /// The API server rejects the object, so `kubectl apply` of the bundle fails part-way, or
    /// a field silently means something else than intended: YAML 1.1 reads `yes`, `on` and
    /// `y` as booleans and `0755` as an octal number, exactly as kubectl and Helm do.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    /// spec:
    ///   replicas: "3"          # a string: the API expects an integer
    ///   template:
    ///     spec:
    ///       containers:
    ///         - name: web
    ///           env:
    ///             - name: DEBUG
    ///               value: yes   # a boolean: env values must be strings
    /// ```
    ///
    /// ## Fix
    /// Correct the value at the reported position: quote strings (`value: "yes"`), write
    /// numbers without quotes (`replicas: 3`), use one of the listed values.
    ///
    /// **Automatic fix:** none: the text does not parse, or a field has the wrong type or value,
    /// and what was meant cannot be known.
    ///
    /// ## References
    /// - Kubernetes API reference: <https://kubernetes.io/docs/reference/kubernetes-api/>
    /// - YAML 1.1 scalar resolution in sigs.k8s.io/yaml (go-yaml v2 `resolve.go`)
    /// - kstor input limits: `--max-file-size`, docs/configuration.md
    pub struct InvalidManifest {
        code: "KS001",
        name: "invalid-manifest",
        group: Input,
        severity: Error,
        summary: "YAML/JSON syntax error, or a field whose type or value is wrong for its kind",
        fixes: [],
    }
}

impl Check for InvalidManifest {
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        for diagnostic in ctx.graph.diagnostics() {
            out.push(Finding::new(&Self::META, diagnostic.location.clone(), diagnostic.message.clone()));
        }
    }
}
