#!/bin/sh
# Installs nats-server (Debian package nats-server; bookworm has 2.9.10) for the cluster tests, the
# cluster benchmark and `npm run cluster:demo`. Switchboard uses only what 2.9 supports: core NATS,
# JetStream streams with the expected-last-sequence publish check, and KV buckets with a TTL.
# Guarantees: idempotent (nothing happens when nats-server is on PATH), runs apt-get update only when
# it is missing, one line per action, exits non-zero when the install fails.
set -eu

if command -v nats-server >/dev/null 2>&1; then
  echo "install-nats: nats-server already present ($(nats-server --version 2>/dev/null || echo unknown version))"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  sudo_prefix="sudo"
else
  sudo_prefix=""
fi

echo "install-nats: apt-get update"
$sudo_prefix apt-get update -qq >/dev/null
echo "install-nats: apt-get install nats-server"
DEBIAN_FRONTEND=noninteractive $sudo_prefix apt-get install -y -qq --no-install-recommends nats-server >/dev/null
command -v nats-server >/dev/null 2>&1 || { echo "install-nats: nats-server still missing" >&2; exit 1; }
echo "install-nats: done ($(nats-server --version))"
