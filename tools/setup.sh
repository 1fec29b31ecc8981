#!/usr/bin/env bash
# Installs every Debian package ipcsim needs, and nothing when all are present.
# Idempotent: a second run prints nothing and touches nothing. Needs root (or sudo) only when
# something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git python3
  clang-14 libclang-rt-14-dev libfuzzer-14-dev
  catch2 librapidcheck-dev libboost-context-dev libmsgpack-cxx-dev
  libfmt-dev libcli11-dev libtomlplusplus-dev nlohmann-json3-dev
  cppzmq-dev libzmq3-dev
  chromium  # headless, so tools/report_test.py can check that the HTML report renders
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done" >&2
