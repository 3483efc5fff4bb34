#!/bin/sh
# Installs Debian tools the tests drive as real programs, given as tool:package pairs. With no
# arguments: the SIP peers, baresip (a headless test phone, package baresip-core), sipp (scripted SIP
# scenarios, package sip-tester) and sox (tone files). scripts/install-nats.sh calls it for
# nats-server. This is the one place the project runs apt-get for a tool found on PATH.
# Guarantees: idempotent (a tool already on PATH is not installed again), runs apt-get update only when
# something is missing, quiet apart from one line per action, exits non-zero when an install fails.
set -eu

if [ "$#" -eq 0 ]; then
  set -- baresip:baresip-core sipp:sip-tester sox:sox
fi

missing=""
for pair in "$@"; do
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
for pair in "$@"; do
  tool=${pair%%:*}
  command -v "$tool" >/dev/null 2>&1 || { echo "install-test-tools: $tool still missing" >&2; exit 1; }
done
echo "install-test-tools: done"
