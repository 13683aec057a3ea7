fn main() -> std::process::ExitCode {
    kstor::cli::main()
}
