#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install what the tests need and run them (the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo="sudo"
# the tests use a real redis-server and look at the HTML report in a real headless chromium
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]} (the tests use the real thing)"
  if command -v apt-get >/dev/null; then
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "${missing[*]} missing and apt-get is not available: install them" >&2; exit 2
  fi
fi
echo "== creating .venv and installing attrib[test]"
python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null
python -m pip install -q -e '.[test]'
echo "== tests"
export ATTRIB_REQUIRE_REDIS=1
python -m pytest -q "$@"
echo "== attrib scans itself (its own code must not match its examples)"
idx=$(mktemp -d)/self.sqlite
attrib index add examples/minicpmv --name MiniCPM-V --index "$idx" >/dev/null
attrib scan attrib --index "$idx"
