//! Knowledge as data: CSI drivers, workload roles, storage patterns, operators, snapshot
//! schedulers and the classes platforms install.
//!
//! The built-in catalog is compiled in from `catalog/*.yaml` and `catalog/csi-drivers.csv` at
//! the repository root; users extend or override it through `.kstor.yaml`.

mod csv;
pub mod drivers;
pub mod operators;
pub mod patterns;
pub mod platform_classes;
pub mod roles;
pub mod schedules;

use std::sync::{Arc, LazyLock};

use serde::Deserialize;

pub use drivers::{
    AccessMode, Capabilities, ClassTranslation, Confidence, DriverCatalog, DriverMatch, DriverSpec,
    Encryption, FsGroupPolicy, InTreePlugin, LegacyType, ParameterDefault, SidecarResources, StorageKind,
    Topology, VolumeMode,
};
pub use operators::{OperatorCatalog, OperatorKind, StorageFormat};
pub use patterns::{MatrixRow, Pattern, PatternInfo, PatternTable, Verdict};
pub use platform_classes::{PlatformClass, PlatformClasses};
pub use roles::{Engine, Role, RoleCatalog, RoleOverride};
pub use schedules::{Coverage, ScheduleCatalog, Scheduler};

use crate::yaml::{Limits, from_node, parse_stream};

/// Drivers, roles and patterns, as used by one run.
#[derive(Debug)]
pub struct Catalog {
    /// CSI drivers and in-tree provisioners.
    pub drivers: DriverCatalog,
    /// Workload roles and database/queue/... engines.
    pub roles: RoleCatalog,
    /// The storage pattern table.
    pub patterns: PatternTable,
    /// Operator custom resources read as workloads.
    pub operators: OperatorCatalog,
    /// What takes snapshots or backups on a schedule.
    pub schedules: ScheduleCatalog,
    /// Classes platforms install themselves.
    pub platform_classes: PlatformClasses,
}

static BUILTIN: LazyLock<Arc<Catalog>> = LazyLock::new(|| {
    Arc::new(Catalog {
        drivers: DriverCatalog::builtin(),
        roles: RoleCatalog::builtin(),
        patterns: PatternTable::builtin(),
        operators: OperatorCatalog::builtin(),
        schedules: ScheduleCatalog::builtin(),
        platform_classes: PlatformClasses::builtin(),
    })
});

impl Catalog {
    /// The built-in catalog (parsed once).
    pub fn builtin() -> Arc<Catalog> {
        Arc::clone(&BUILTIN)
    }

    /// The built-in catalog extended by user drivers (which replace built-in entries of the
    /// same name) and role overrides (which take precedence over built-in guesses).
    pub fn extended(extra_drivers: Vec<DriverSpec>, role_overrides: Vec<RoleOverride>) -> Catalog {
        let mut drivers = DriverCatalog::builtin();
        for driver in extra_drivers {
            drivers.insert(driver);
        }
        let mut roles = RoleCatalog::builtin();
        roles.overrides = role_overrides;
        Catalog {
            drivers,
            roles,
            patterns: PatternTable::builtin(),
            operators: OperatorCatalog::builtin(),
            schedules: ScheduleCatalog::builtin(),
            platform_classes: PlatformClasses::builtin(),
        }
    }
}

/// Error reading a data file: where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {at}{}: {message}", .path.as_ref().map(|p| format!(" ({p})")).unwrap_or_default())]
pub struct DataError {
    /// The data file.
    pub file: String,
    /// Where in it (1-based).
    pub at: crate::source::LineCol,
    /// The field, when the error is about one (`drivers[2].topology`).
    pub path: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// Parses a YAML data file (catalog or config) into `T`, with positioned errors.
pub fn parse_data<T: for<'a> Deserialize<'a>>(file: &str, text: &str) -> Result<T, DataError> {
    let stream = parse_stream(text, &Limits::default());
    let source = crate::source::SourceFile::new(file, text.to_string());
    if let Some(error) = stream.errors.first() {
        return Err(DataError {
            file: file.into(),
            at: source.line_col(error.span.start),
            path: None,
            message: error.message.clone(),
        });
    }
    let Some(document) = stream.documents.first() else {
        return from_node::<T>(parse_stream("{}", &Limits::default()).root(0)).map_err(|(_, message)| {
            DataError {
                file: file.into(),
                at: crate::source::LineCol { line: 1, column: 1 },
                path: None,
                message,
            }
        });
    };
    let root = stream.tree.node(document.root);
    from_node::<T>(root).map_err(|(path, message)| {
        let position = path.resolve(root);
        DataError {
            file: file.into(),
            at: source.line_col(position.span.start),
            path: Some(path.to_string()),
            message,
        }
    })
}
