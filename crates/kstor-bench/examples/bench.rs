//! Stand-alone `kstor bench` until the `kstor` binary wires it in:
//! `cargo run --release -p kstor-bench --example bench -- /data --profile wal`.

use clap::Parser;

#[derive(Parser)]
#[command(name = "kstor-bench", version)]
struct Cli {
    #[command(flatten)]
    args: kstor_bench::BenchArgs,
}

fn main() {
    let cli = Cli::parse();
    let code = match kstor_bench::run(&cli.args, &mut std::io::stdout().lock()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kstor bench: {e:#}");
            kstor_bench::EXIT_ERROR
        }
    };
    std::process::exit(code);
}
