#!/bin/sh
# Installs the Debian tools the SIP tests drive as real peers: baresip (a headless test phone, package
# baresip-core), sipp (scripted SIP scenarios, package sip-tester) and sox (tone files).
# Guarantees: idempotent (a tool already on PATH is not installed again), runs apt-get update only when
# something is missing, quiet apart from one line per action, exits non-zero when an install fails.
set -eu

missing=""
for pair in baresip:baresip-core sipp:sip-tester sox:sox; do
  tool=${pair%%:*}
  package=${pair#*:}
  if command -v "$tool" >/dev/null 2>&1; then
    echo "install-test-tools: $tool already present"
  else
    missing="$missing $package"
  fi
done

if [ -z "$missing" ]; then
  echo "install-test-tools: nothing to install"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  sudo_prefix="sudo"
else
  sudo_prefix=""
fi

echo "install-test-tools: apt-get update"
$sudo_prefix apt-get update -qq >/dev/null
echo "install-test-tools: apt-get install$missing"
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo_prefix apt-get install -y -qq --no-install-recommends $missing >/dev/null
for tool in baresip sipp sox; do
  command -v "$tool" >/dev/null 2>&1 || { echo "install-test-tools: $tool still missing" >&2; exit 1; }
done
echo "install-test-tools: done"
