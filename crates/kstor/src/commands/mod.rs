//! One module per subcommand.

pub mod bench;
pub mod explain;
pub mod lint;
pub mod report;
pub mod rules;

/// Exit code: nothing at or above the threshold.
pub const EXIT_OK: u8 = 0;
/// Exit code: findings at or above the threshold.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage or I/O error.
pub const EXIT_ERROR: u8 = 2;

/// Prints a one-line error and returns [`EXIT_ERROR`].
pub fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("kstor: error: {message}");
    EXIT_ERROR
}
