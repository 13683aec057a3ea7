//! The kubectl plugin entry point: `kubectl kstor lint ...` runs this binary.

fn main() -> std::process::ExitCode {
    kstor::cli::main()
}
