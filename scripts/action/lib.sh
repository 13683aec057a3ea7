# shellcheck shell=bash
# Shared by the action's step scripts (sourced, not run). Bash 3.2+ (macOS runners), GNU or BSD
# tools (Linux, macOS, Git Bash on Windows).

# A value of a [section] of a TOML file, when written as `key = "value"` on one line.
toml_value() {
  awk -v section="[$2]" -v key="$3" '
    /^[[:space:]]*\[/ { in_section = ($1 == section); next }
    in_section && $1 == key && $2 == "=" {
      value = $0; sub(/^[^=]*=[[:space:]]*"/, "", value); sub(/".*$/, "", value); print value; exit
    }' "$1"
}

# SHA-256 of a file, or of stdin with `-`, as 64 lower-case hex digits.
sha256() {
  local sum
  if command -v sha256sum >/dev/null 2>&1; then
    sum="$(sha256sum "$1")"
  else
    sum="$(shasum -a 256 "$1")"
  fi
  printf '%s\n' "${sum%% *}"
}

# `<sha256>  <file>` for each file named on stdin (one per line).
sha256_files() {
  if command -v sha256sum >/dev/null 2>&1; then
    tr '\n' '\0' | xargs -0 sha256sum
  else
    tr '\n' '\0' | xargs -0 shasum -a 256
  fi
}

# The Rust target of the release archive for a runner (RUNNER_OS, RUNNER_ARCH); empty when
# kstor has no release build for it.
release_target() {
  case "$1/$2" in
    Linux/X64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64) echo aarch64-unknown-linux-musl ;;
    macOS/X64) echo x86_64-apple-darwin ;;
    macOS/ARM64) echo aarch64-apple-darwin ;;
    Windows/X64) echo x86_64-pc-windows-msvc ;;
    *) echo "" ;;
  esac
}

# The release archive of a version for a target: kstor-vVERSION-TARGET.tar.gz (.zip on Windows).
release_archive() {
  case "$2" in
    *-windows-*) echo "kstor-v$1-$2.zip" ;;
    *) echo "kstor-v$1-$2.tar.gz" ;;
  esac
}

# Appends `name=value` to a GitHub step output file.
set_output() {
  printf '%s=%s\n' "$1" "$2" >> "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
}
