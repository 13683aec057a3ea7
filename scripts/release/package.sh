#!/usr/bin/env bash
# Packs a release archive: kstor and kubectl-kstor of one target, at the archive's top level.
#
#   scripts/release/package.sh VERSION TARGET BIN_DIR OUT_DIR
#   e.g. scripts/release/package.sh 0.1.0 x86_64-unknown-linux-musl target/x86_64-unknown-linux-musl/release dist
#
# Writes OUT_DIR/kstor-vVERSION-TARGET.tar.gz (.zip for a Windows target, with .exe binaries)
# and beside it ARCHIVE.sha256 in sha256sum's format. The GitHub Action (scripts/action/) and
# the Krew manifest (plugins/kstor.yaml, scripts/release/krew-manifest.sh) download these names.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../action/lib.sh
. "$(dirname "$0")/../action/lib.sh"

if [ "$#" -ne 4 ]; then
  echo "usage: $0 VERSION TARGET BIN_DIR OUT_DIR" >&2
  exit 2
fi
version="$1" target="$2" bin_dir="$3" out_dir="$4"
exe=""
case "$target" in *-windows-*) exe=.exe ;; esac
archive="$(release_archive "$version" "$target")"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
for bin in kstor kubectl-kstor; do
  if [ ! -f "$bin_dir/$bin$exe" ]; then
    echo "package: $bin_dir/$bin$exe is missing (cargo build --release --locked --target $target)" >&2
    exit 1
  fi
  cp "$bin_dir/$bin$exe" "$stage/"
done
mkdir -p "$out_dir"
out="$(cd "$out_dir" && pwd)"
case "$archive" in
  *.zip) (cd "$stage" && zip -q -X "$out/$archive.tmp" kstor.exe kubectl-kstor.exe && mv "$out/$archive.tmp" "$out/$archive") ;;
  *) tar -czf "$out/$archive.tmp" -C "$stage" kstor kubectl-kstor && mv "$out/$archive.tmp" "$out/$archive" ;;
esac
printf '%s  %s\n' "$(sha256 "$out/$archive")" "$archive" > "$out/$archive.sha256"
echo "$out/$archive"
