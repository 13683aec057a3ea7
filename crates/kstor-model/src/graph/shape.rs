//! What the whole input holds, beyond the objects a graph links.
//!
//! A few rules judge by the shape of the input rather than by one object's links: a bundle
//! without workloads is a platform bundle (its classes serve whatever runs later), and a
//! missing claim is a typo only when the input defines other claims. They read the shape
//! here instead of counting the graph's objects, so that a front end judging one object with
//! a few gathered ones (admission) can say what the rest of the cluster holds.

use super::{ClaimOrigin, StorageGraph};

/// What kinds of objects the whole input (a bundle, a dump, a cluster) holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InputShape {
    /// The input defines workloads (objects with a pod template, or operator resources that
    /// run pods).
    pub workloads: bool,
    /// The input defines PersistentVolumeClaim objects (claim templates do not count).
    pub claims: bool,
}

impl InputShape {
    /// The shape of a graph's own objects.
    pub fn of(graph: &StorageGraph) -> InputShape {
        InputShape {
            workloads: !graph.workloads.is_empty(),
            claims: graph.claims.iter().any(|c| c.origin == ClaimOrigin::Standalone),
        }
    }

    /// What either input holds.
    pub fn union(self, other: InputShape) -> InputShape {
        InputShape { workloads: self.workloads || other.workloads, claims: self.claims || other.claims }
    }
}
