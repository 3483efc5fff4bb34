#!/bin/sh
# Installs nats-server (Debian package nats-server; bookworm has 2.9.10) for the cluster tests, the
# cluster benchmark and `npm run cluster:demo`, through scripts/install-test-tools.sh (idempotent;
# apt-get update first, only when it is missing; non-zero exit when the install fails). Switchboard
# uses only what 2.9 supports: core NATS, JetStream streams with the expected-last-sequence publish
# check, and KV buckets with a TTL.
set -eu
exec sh "$(dirname "$0")/install-test-tools.sh" nats-server:nats-server
