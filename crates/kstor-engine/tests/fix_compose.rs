//! Fixes of several rules on one object compose in one pass when they add different keys, at
//! any nesting, at the end of the object; so the fixpoint takes two passes (fix, verify).

use kstor_engine::{Engine, FixOptions};

#[test]
fn keys_added_at_the_end_of_nested_mappings_compose_in_one_pass() {
    // The cockroach-operator EKS class of the corpus: the object ends inside `parameters`.
    let class = "kind: StorageClass\napiVersion: storage.k8s.io/v1\nmetadata:\n  name: standard\nprovisioner: kubernetes.io/aws-ebs\nparameters:\n  type: gp2\n  fsType: ext4\n";
    let outcome = Engine::default()
        .fix_texts(&[("class.yaml".to_string(), class.to_string())], FixOptions { unsafe_fixes: true });
    assert_eq!(
        outcome.sources[0].fixed,
        "kind: StorageClass\napiVersion: storage.k8s.io/v1\nmetadata:\n  name: standard\nprovisioner: ebs.csi.aws.com\nparameters:\n  type: gp3\n  csi.storage.k8s.io/fstype: ext4\n  encrypted: \"true\"\nvolumeBindingMode: WaitForFirstConsumer\nallowVolumeExpansion: true\n"
    );
    assert_eq!(outcome.passes, 2, "one pass fixes, one verifies");
    assert!(outcome.skipped.is_empty(), "{:?}", outcome.skipped);
}
