//! `kstor patterns`, `kstor recommend` and `kstor generate`: the decision matrix as a tool.

use std::io::Write;

use kstor_model::catalog::Catalog;
use kstor_model::{Input, Limits};
use kstor_plan::generate::Zones;
use kstor_plan::recommend::{Context, Target};
use kstor_plan::render::{PlanFormat, write_inferred, write_patterns, write_recommendation};
use kstor_plan::{GenerateRequest, PlanError, ProviderCatalog, Request, ScenarioCatalog};

use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, fail};
use crate::cli::{GenerateArgs, PatternsArgs, PlanFormatArg, RecommendArgs, TargetArgs};
use crate::output::{write_atomically, write_stdout};

fn format_of(arg: PlanFormatArg) -> PlanFormat {
    match arg {
        PlanFormatArg::Text => PlanFormat::Text,
        PlanFormatArg::Json => PlanFormat::Json,
        PlanFormatArg::Markdown => PlanFormat::Markdown,
    }
}

/// Writes to a file atomically, or to stdout.
fn write_to(
    path: Option<&std::path::Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    match path {
        Some(p) => write_atomically(p, write).map_err(|e| format!("{}: {e}", p.display())),
        None => write_stdout(write).map_err(|e| format!("cannot write the output: {e}")),
    }
}

/// A refusal: the reason and the hint, exit 2.
fn refuse(error: &PlanError) -> u8 {
    eprintln!("kstor: error: {}", error.message);
    eprintln!("  hint: {}", error.hint);
    EXIT_ERROR
}

fn target_of(args: &TargetArgs) -> Option<Target> {
    match (&args.provider, &args.provisioner) {
        (Some(p), _) => Some(Target::Provider(p.clone())),
        (None, Some(name)) => Some(Target::Provisioner(name.clone())),
        (None, None) => None,
    }
}

struct Catalogs {
    catalog: std::sync::Arc<Catalog>,
    scenarios: ScenarioCatalog,
    providers: ProviderCatalog,
}

impl Catalogs {
    fn builtin() -> Catalogs {
        Catalogs {
            catalog: Catalog::builtin(),
            scenarios: ScenarioCatalog::builtin(),
            providers: ProviderCatalog::builtin(),
        }
    }

    fn context(&self) -> Context<'_> {
        Context { catalog: &self.catalog, scenarios: &self.scenarios, providers: &self.providers }
    }
}

/// Runs `kstor patterns`.
pub fn patterns(args: &PatternsArgs) -> u8 {
    let catalog = Catalog::builtin();
    match write_to(None, |out| write_patterns(&catalog.patterns, format_of(args.format), out)) {
        Ok(()) => EXIT_OK,
        Err(e) => fail(e),
    }
}

/// Runs `kstor recommend`: 0, or 2 for a refused request or unreadable input; with `--check`,
/// 1 when a workload's storage differs from the recommendation.
pub fn recommend(args: &RecommendArgs) -> u8 {
    let catalogs = Catalogs::builtin();
    let ctx = catalogs.context();
    let format = format_of(args.format);
    if !args.file.is_empty() {
        return recommend_files(args, &ctx, format);
    }
    let request = Request {
        workload: args.workload.clone().unwrap_or_default(),
        replicas: args.replicas,
        zones: args.zones.map(|z| z as usize),
        target: target_of(&args.target),
        pattern: args.target.pattern,
        default_engine: false,
    };
    let rec = match kstor_plan::recommend(&ctx, &request) {
        Ok(r) => r,
        Err(e) => return refuse(&e),
    };
    match write_to(args.output.as_deref(), |out| write_recommendation(&rec, format, args.explain, out)) {
        Ok(()) => EXIT_OK,
        Err(e) => fail(e),
    }
}

fn recommend_files(args: &RecommendArgs, ctx: &Context<'_>, format: PlanFormat) -> u8 {
    let engine = match super::engine(None, false, &[], &[]) {
        Ok(e) => e,
        Err(e) => return fail(e),
    };
    let inputs: Vec<Input> = args
        .file
        .iter()
        .map(|p| if p.as_os_str() == "-" { Input::Stdin } else { Input::Path(p.clone()) })
        .collect();
    let graph = match engine.graph(&inputs, Limits::default()) {
        Ok(g) => g,
        Err(e) => return fail(e),
    };
    for message in &graph.workspace.io_errors {
        eprintln!("kstor: error: {message}");
    }
    let target = target_of(&args.target);
    let (inferred, skipped) = kstor_plan::infer::infer(ctx, &graph, target.as_ref());
    if let Err(e) =
        write_to(args.output.as_deref(), |out| write_inferred(&inferred, &skipped, format, args.explain, out))
    {
        return fail(e);
    }
    if !graph.workspace.io_errors.is_empty() {
        EXIT_ERROR
    } else if args.check && inferred.iter().any(|i| i.differences() > 0) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// Runs `kstor generate`: 0 with the bundle on stdout (or in `--output`), 2 for a refused
/// request with the reason and what to choose instead.
pub fn generate(args: &GenerateArgs) -> u8 {
    let catalogs = Catalogs::builtin();
    let ctx = catalogs.context();
    let zones = match args.zones.as_deref().map(Zones::parse).transpose() {
        Ok(z) => z.unwrap_or_default(),
        Err(e) => return fail(e),
    };
    let request = GenerateRequest {
        workload: args.workload.clone(),
        target: target_of(&args.target),
        zones,
        size: args.size.clone(),
        replicas: args.replicas,
        name: args.name.clone(),
        namespace: args.namespace.clone(),
        pattern: args.target.pattern,
    };
    let bundle = match kstor_plan::generate(&ctx, &request) {
        Ok(b) => b,
        Err(e) => return refuse(&e),
    };
    let yaml = bundle.to_yaml();
    match write_to(args.output.as_deref(), |out| out.write_all(yaml.as_bytes())) {
        Ok(()) => {
            if args.output.is_some() {
                eprintln!(
                    "kstor: wrote {} objects ({} on {})",
                    bundle.documents.len(),
                    bundle.recommendation.pattern,
                    bundle.recommendation.provider.as_deref().unwrap_or("no provider")
                );
            }
            EXIT_OK
        }
        Err(e) => fail(e),
    }
}
