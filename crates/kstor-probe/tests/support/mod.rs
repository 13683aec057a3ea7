//! The simulated kubelet's container for kstor's probe tests and demo: `kstor agent`
//! in-process.

use std::path::PathBuf;

use clap::Parser;
use kstor_probe::agent::{self, AgentArgs, AgentOp, AgentReport};
use kstor_testkube::{AgentCall, AgentExit};

#[derive(Parser)]
struct AgentCli {
    #[command(flatten)]
    agent: AgentArgs,
}

/// The simulated kubelet's container: `kstor agent` in-process, `/data` mapped to the
/// volume's directory. `stat` reports the simulated filesystem size (the claim's capacity as
/// the kubelet grew it), since the host directory is not a volume of that size.
pub fn kstor_agent(call: &AgentCall) -> AgentExit {
    let argv = std::iter::once("kstor".to_string())
        .chain(call.command.iter().skip(2).cloned())
        .chain(call.args.iter().cloned());
    let parsed = match AgentCli::try_parse_from(argv) {
        Ok(p) => p,
        Err(e) => return AgentExit::failure(2, e.to_string()),
    };
    let host = |dir: &PathBuf| {
        call.mounts.get(dir.to_str().unwrap_or_default()).cloned().unwrap_or_else(|| dir.clone())
    };
    let exit = match parsed.agent.op {
        AgentOp::Write { dir, bytes, files } => {
            agent::execute(&AgentOp::Write { dir: host(&dir), bytes, files })
        }
        AgentOp::Verify { dir, expect } => agent::execute(&AgentOp::Verify { dir: host(&dir), expect }),
        AgentOp::Stat { dir } => {
            let size = call.current_size(dir.to_str().unwrap_or_default()).unwrap_or(0);
            let report = AgentReport {
                op: "stat".into(),
                capacity_bytes: Some(size),
                available_bytes: Some(size),
                ..AgentReport::default()
            };
            return AgentExit::success(serde_json::to_string(&report).unwrap());
        }
    };
    AgentExit { exit_code: i32::from(exit.code), message: exit.message(), keep_running: false }
}
