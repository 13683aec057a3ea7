#!/usr/bin/env bash
# Step 1 of the kstor action: decides how kstor is installed on this runner.
#
# A release binary when scripts/action/release-checksums.txt pins the checksum of the archive
# of this version (workspace.package.version in Cargo.toml) for the runner's platform; else a
# build from the action's own source with `cargo install --locked`, cached under a key made of
# the platform, the version and a hash of the sources (so a moving ref such as `main` never
# reuses an old build).
#
# Environment: GITHUB_ACTION_PATH, GITHUB_OUTPUT, RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP;
# INPUT_INSTALL: auto (default), release or source.
# Outputs: mode (release|source), version, target, url, sha256, install-dir, cache-key.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

action="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}"
install="${INPUT_INSTALL:-auto}"
case "$install" in
  auto | release | source) ;;
  *) echo "::error::kstor action: install must be auto, release or source, not '$install'"; exit 2 ;;
esac

version="$(toml_value "$action/Cargo.toml" workspace.package version)"
repository="$(toml_value "$action/Cargo.toml" workspace.package repository)"
if [ -z "$version" ] || [ -z "$repository" ]; then
  echo "::error::kstor action: no version or repository in $action/Cargo.toml [workspace.package]"
  exit 2
fi
target="$(release_target "${RUNNER_OS:?}" "${RUNNER_ARCH:?}")"

mode=source url="" sum=""
if [ -n "$target" ] && [ "$install" != source ]; then
  archive="$(release_archive "$version" "$target")"
  url="${repository%/}/releases/download/v$version/$archive"
  # sha256sum's format: `<64 hex>  <archive name>`; comments and blank lines are skipped.
  sum="$(awk -v name="$archive" '$1 !~ /^#/ && ($2 == name || $2 == "*" name) { print $1; exit }' \
    "$action/scripts/action/release-checksums.txt")"
  if [ -n "$sum" ]; then mode=release; else url=""; fi
fi
if [ "$install" = release ] && [ "$mode" != release ]; then
  echo "::error::kstor action: no pinned release of kstor $version for ${RUNNER_OS}/${RUNNER_ARCH}; use install: auto or source"
  exit 2
fi

install_dir="${RUNNER_TEMP:?}/kstor-action/$mode"
cache_key=""
if [ "$mode" = source ]; then
  # Everything the binary is built from; tests and docs change nothing in it but cost nothing.
  digest="$(cd "$action" && find Cargo.toml Cargo.lock src crates catalog -type f ! -path '*/target/*' \
    | LC_ALL=C sort | sha256_files | sha256 -)"
  cache_key="kstor-${RUNNER_OS}-${RUNNER_ARCH}-v${version}-${digest:0:32}"
fi

echo "kstor action: kstor $version for ${RUNNER_OS}/${RUNNER_ARCH}: $mode${url:+ ($url)}"
set_output mode "$mode"
set_output version "$version"
set_output target "$target"
set_output url "$url"
set_output sha256 "$sum"
set_output install-dir "$install_dir"
set_output cache-key "$cache_key"
