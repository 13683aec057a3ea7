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
    run_agent(call, false)
}

/// [`kstor_agent`] with the permissions of a freshly formatted volume: its root is owned by
/// root, so a non-root container can write only where the kubelet applied fsGroup (the
/// driver's fsGroupPolicy allows it and the pod sets one).
pub fn kstor_agent_with_ownership(call: &AgentCall) -> AgentExit {
    run_agent(call, true)
}

fn run_agent(call: &AgentCall, root_owned: bool) -> AgentExit {
    let argv = std::iter::once("kstor".to_string())
        .chain(call.command.iter().skip(2).cloned())
        .chain(call.args.iter().cloned());
    let parsed = match AgentCli::try_parse_from(argv) {
        Ok(p) => p,
        Err(e) => return AgentExit::failure(2, e.to_string()),
    };
    // A directory under a mount path maps to the same place under the volume's directory.
    let host = |dir: &PathBuf| -> PathBuf {
        for (mount, volume) in &call.mounts {
            if let Ok(rest) = dir.strip_prefix(mount) {
                return volume.join(rest);
            }
        }
        dir.clone()
    };
    if root_owned
        && let AgentOp::Write { dir, .. } = &parsed.agent.op
        && call.run_as_user.is_some_and(|uid| uid != 0)
    {
        let mount = call.mounts.keys().find(|m| dir.starts_with(m.as_str()));
        if mount.is_some_and(|m| !call.fs_group_applied.get(m).copied().unwrap_or(false)) {
            let report = AgentReport {
                op: "write".into(),
                error: Some(format!("{}: Permission denied (os error 13)", dir.display())),
                ..AgentReport::default()
            };
            return AgentExit::failure(2, serde_json::to_string(&report).unwrap());
        }
    }
    let exit = match parsed.agent.op {
        AgentOp::Write { dir, bytes, files } => {
            agent::execute(&AgentOp::Write { dir: host(&dir), bytes, files })
        }
        AgentOp::Verify { dir, expect } => agent::execute(&AgentOp::Verify { dir: host(&dir), expect }),
        AgentOp::Bench { dir, profiles, millis, size } => {
            agent::execute(&AgentOp::Bench { dir: host(&dir), profiles, millis, size })
        }
        // Holding a volume: the container runs until its pod is deleted.
        AgentOp::Hold { .. } => return AgentExit::running(),
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
