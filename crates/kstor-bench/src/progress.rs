//! Progress bars on stderr (indicatif), shown only on a terminal.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether and where to draw progress bars.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    enabled: bool,
}

impl Progress {
    /// No progress output at all.
    pub fn hidden() -> Self {
        Self { enabled: false }
    }

    /// Bars on stderr when it is a terminal and `disabled` is false.
    pub fn on_stderr(disabled: bool) -> Self {
        Self { enabled: !disabled && std::io::stderr().is_terminal() }
    }

    /// True when bars are drawn.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// A new bar named `prefix` going to `len` (bytes for the layout, milliseconds for a
    /// profile), or a hidden one.
    pub fn bar(&self, prefix: &str, len: u64) -> ProgressBar {
        if !self.enabled {
            return ProgressBar::hidden();
        }
        let style = ProgressStyle::with_template("{prefix:>12} [{bar:30}] {msg}")
            .expect("constant template is valid")
            .progress_chars("=> ");
        ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
            .with_style(style)
            .with_prefix(prefix.to_string())
    }
}
