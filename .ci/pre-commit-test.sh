#!/usr/bin/env bash
# The pre-commit hook as a user gets it: pre-commit clones this repository at HEAD, installs
# kstor with `language: rust` (cargo install --bins --path .), and runs `kstor-lint` on a
# temporary repository: a manifest with a storage error fails the commit, a clean one passes;
# `kstor-fix` rewrites a manifest with a safe fix (failing that commit, as pre-commit does when
# a hook changes a file) and the fixed, re-staged file commits.
#
# Environment: PRE_COMMIT_PYTHON (a Python with pip; default the CI venv).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PRE_COMMIT_PYTHON:-$repo/target/ci-venv/bin/python}"
"$python" -m pip install --quiet --disable-pip-version-check "pre-commit==4.3.0"
pre_commit="$(dirname "$python")/pre-commit"

export PRE_COMMIT_HOME="$repo/target/pre-commit-home"
# The installed binary's behaviour does not depend on optimisation: build the hook cheaply.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_DEBUG=false \
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 CARGO_TARGET_DIR="$repo/target/pre-commit-build"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q
git config user.email ci@kstor.invalid
git config user.name "kstor CI"
# Configures the temporary repository to run one hook of this repository at HEAD.
use_hook() {
  cat > .pre-commit-config.yaml <<YAML
repos:
  - repo: $repo
    rev: $(git -C "$repo" rev-parse HEAD)
    hooks:
      - id: $1
YAML
  git add .pre-commit-config.yaml
  git commit -qm "pre-commit config: $1" --no-verify
}
use_hook kstor-lint
"$pre_commit" install >/dev/null

cat > good.yaml <<'YAML'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gp3}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: true
reclaimPolicy: Retain
parameters: {type: gp3, encrypted: "true"}
YAML
git add good.yaml
if ! git commit -qm "a clean manifest"; then
  echo "pre-commit test: the clean manifest was refused" >&2
  exit 1
fi

cat > bad.yaml <<'YAML'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: efs}
provisioner: efs.csi.aws.com
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: orders-db}
spec:
  serviceName: orders-db
  selector: {matchLabels: {app: orders-db}}
  template:
    metadata: {labels: {app: orders-db}}
    spec:
      containers:
        - name: postgres
          image: postgres:17
          volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteMany]
        storageClassName: efs
        resources: {requests: {storage: 10Gi}}
YAML
git add bad.yaml
if git commit -qm "a database on ReadWriteMany file storage" > commit.log 2>&1; then
  cat commit.log
  echo "pre-commit test: the manifest with KS201 was committed" >&2
  exit 1
fi
grep -q "KS201" commit.log || { cat commit.log; echo "pre-commit test: no KS201 in the hook's output" >&2; exit 1; }
git rm -q --cached bad.yaml && rm bad.yaml

# kstor-fix: the same checkout, the other hook.
use_hook kstor-fix
cat > expandable.yaml <<'YAML'
# the fast class
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
parameters: {type: gp3, encrypted: "true"}  # keep me
YAML
git add expandable.yaml
if git commit -qm "a class without expansion" > fix.log 2>&1; then
  cat fix.log
  echo "pre-commit test: kstor-fix changed nothing, or pre-commit did not notice" >&2
  exit 1
fi
grep -q "^allowVolumeExpansion: true$" expandable.yaml || { cat fix.log expandable.yaml; echo "pre-commit test: the KS701 fix was not applied" >&2; exit 1; }
grep -q "# keep me" expandable.yaml && grep -q "^# the fast class" expandable.yaml || { cat expandable.yaml; echo "pre-commit test: kstor-fix lost a comment" >&2; exit 1; }
git add expandable.yaml
if ! git commit -qm "a class without expansion, fixed" > fix2.log 2>&1; then
  cat fix2.log
  echo "pre-commit test: the fixed manifest was refused" >&2
  exit 1
fi
echo "pre-commit test: 4 passed, 0 failed (clean manifest committed, KS201 refused, kstor-fix applied KS701 keeping comments, the fixed file committed)"
