//! The namespace controller: a deleted namespace stays Terminating for
//! [`crate::Timing::namespace_termination`], then everything in it is deleted (pods through
//! their kubelet, claims through pvc-protection), and the namespace goes once it is empty.

use crate::resources::TYPES;
use crate::state::State;

use super::{name, uid};

pub(crate) fn reconcile(state: &mut State) {
    for ns in state.list("Namespace", None) {
        if ns["metadata"]["deletionTimestamp"].is_null() {
            continue;
        }
        let key = format!("namespace/{}", uid(&ns));
        if !state.due(&key, state.config.timing.namespace_termination) {
            continue;
        }
        let ns_name = name(&ns).to_string();
        for rt in TYPES.iter().filter(|t| t.namespaced) {
            for object in state.store.list(rt, Some(&ns_name)) {
                if object["metadata"]["deletionTimestamp"].is_null() {
                    let _ = state.delete(rt, &ns_name, name(&object), None);
                }
            }
        }
        if state.store.namespace_empty(&ns_name) {
            state.done(&key);
            state.store.remove(crate::state::rt("Namespace"), "", &ns_name);
        }
    }
}
