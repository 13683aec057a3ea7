#!/usr/bin/env bash
# Step 2 of the kstor action (after the cache is restored for a source build): installs kstor
# as planned, puts it on the PATH of the later steps, and prints its version.
#
# release: downloads the archive, checks it against the pinned SHA-256 (a mismatch installs
# nothing), unpacks it. source: `cargo install --locked --path $GITHUB_ACTION_PATH`, unless the
# cache already restored the binary.
#
# Environment: the plan's outputs (MODE, VERSION, URL, SHA256, INSTALL_DIR), GITHUB_ACTION_PATH,
# GITHUB_PATH, GITHUB_OUTPUT, RUNNER_OS, RUNNER_TEMP; CARGO (default: cargo).
# Outputs: kstor (the binary's path).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

dir="${INSTALL_DIR:?}"
exe=""
[ "${RUNNER_OS:-}" = Windows ] && exe=.exe
kstor="$dir/bin/kstor$exe"
mkdir -p "$dir/bin"

case "${MODE:?}" in
  release)
    download="$(mktemp -d "${RUNNER_TEMP:?}/kstor-download.XXXXXX")"
    archive="$download/${URL##*/}"
    echo "kstor action: downloading ${URL:?}"
    curl --fail --silent --show-error --location --retry 3 --output "$archive" "$URL"
    actual="$(sha256 "$archive")"
    if [ "$actual" != "${SHA256:?}" ]; then
      echo "::error::kstor action: checksum mismatch for ${URL##*/}: expected $SHA256, got $actual; nothing installed"
      rm -rf "$download"
      exit 1
    fi
    case "$archive" in
      *.zip) unzip -q -o "$archive" -d "$download/unpacked" ;;
      *) mkdir -p "$download/unpacked" && tar -xzf "$archive" -C "$download/unpacked" ;;
    esac
    if [ ! -f "$download/unpacked/kstor$exe" ]; then
      echo "::error::kstor action: ${URL##*/} has no kstor$exe at its top level"
      exit 1
    fi
    mv -f "$download/unpacked/kstor$exe" "$kstor"
    chmod +x "$kstor"
    rm -rf "$download"
    ;;
  source)
    if [ -x "$kstor" ]; then
      echo "kstor action: kstor restored from the cache"
    else
      cargo="${CARGO:-cargo}"
      if ! command -v "$cargo" >/dev/null 2>&1; then
        echo "::error::kstor action: no release of kstor for this runner and no cargo to build it; install Rust (rustup) first"
        exit 1
      fi
      echo "kstor action: building kstor from ${GITHUB_ACTION_PATH:?} (cargo install --locked)"
      "$cargo" install --locked --path "$GITHUB_ACTION_PATH" --root "$dir" --bin kstor
    fi
    ;;
  *)
    echo "::error::kstor action: unknown install mode '$MODE'"
    exit 2
    ;;
esac

installed="$("$kstor" --version)"
if [ "$installed" != "kstor ${VERSION:?}" ]; then
  echo "::error::kstor action: expected kstor $VERSION, the installed binary says '$installed'"
  exit 1
fi
echo "kstor action: $installed at $kstor"
printf '%s\n' "$dir/bin" >> "${GITHUB_PATH:?GITHUB_PATH is not set}"
set_output kstor "$kstor"
