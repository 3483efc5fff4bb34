#!/bin/sh
# Makes PostgreSQL's server programs available for the PostgreSQL store tests and the cluster demo:
# initdb, pg_ctl and postgres from Debian's postgresql package (in /usr/lib/postgresql/<major>/bin).
# Guarantees: idempotent (nothing is installed when the programs are there), apt-get update runs first
# when something must be installed, prints the bin folder as its last line, exits non-zero on failure.
# It does not start a server: test/helpers/postgres.ts starts a throwaway one per test file, as the
# postgres user (PostgreSQL refuses to run as root).
set -eu

find_bin() {
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ]; then
      echo "$dir"
    fi
  done | sort -V | tail -n 1
}

bin=$(find_bin)
if [ -n "$bin" ]; then
  echo "install-postgres: already present" >&2
  echo "$bin"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  sudo_prefix="sudo"
else
  sudo_prefix=""
fi
echo "install-postgres: apt-get update" >&2
$sudo_prefix apt-get update -qq >/dev/null
echo "install-postgres: apt-get install postgresql" >&2
# the package's own cluster is not wanted (tests make their own); it is created and started by the
# package's scripts, harmlessly, on Debian's default port
DEBIAN_FRONTEND=noninteractive $sudo_prefix apt-get install -y -qq --no-install-recommends postgresql >/dev/null
bin=$(find_bin)
if [ -z "$bin" ]; then
  echo "install-postgres: initdb/pg_ctl still missing after the install" >&2
  exit 1
fi
id postgres >/dev/null 2>&1 || { echo "install-postgres: no postgres user after the install" >&2; exit 1; }
echo "install-postgres: done" >&2
echo "$bin"
