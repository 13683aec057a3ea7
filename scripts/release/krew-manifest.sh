#!/usr/bin/env bash
# Renders the Krew plugin manifest of a release from the template plugins/kstor.yaml.
#
#   scripts/release/krew-manifest.sh VERSION DIST_DIR > kstor.yaml
#
# Replaces ${VERSION} and every ${SHA256:TARGET} with the checksum in
# DIST_DIR/kstor-vVERSION-TARGET.{tar.gz,zip}.sha256 (written by scripts/release/package.sh).
# A missing checksum is an error: a manifest never goes out with a placeholder.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../action/lib.sh
. "$(dirname "$0")/../action/lib.sh"

if [ "$#" -ne 2 ]; then
  echo "usage: $0 VERSION DIST_DIR" >&2
  exit 2
fi
version="$1" dist="$2"
template="$(dirname "$0")/../../plugins/kstor.yaml"
pattern='\$\{SHA256:([A-Za-z0-9_.-]+)\}'
manifest=""
header=true
while IFS= read -r line || [ -n "$line" ]; do
  # The template's leading comment is about the template: not part of the manifest.
  if $header && [[ "$line" == "#"* ]]; then
    continue
  fi
  header=false
  line="${line//\$\{VERSION\}/$version}"
  while [[ "$line" =~ $pattern ]]; do
    placeholder="${BASH_REMATCH[0]}" target="${BASH_REMATCH[1]}"
    file="$dist/$(release_archive "$version" "$target").sha256"
    if [ ! -f "$file" ]; then
      echo "krew-manifest: no checksum for $target: $file is missing" >&2
      exit 1
    fi
    sum="$(awk '{ print $1; exit }' "$file")"
    if ! [[ "$sum" =~ ^[0-9a-f]{64}$ ]]; then
      echo "krew-manifest: $file does not start with a SHA-256" >&2
      exit 1
    fi
    line="${line//"$placeholder"/$sum}"
  done
  manifest+="$line"$'\n'
done < "$template"
# Printed whole at the end: an error above leaves no half-rendered manifest behind.
printf '%s' "$manifest"
