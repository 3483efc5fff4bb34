#!/bin/sh
# Installs Debian's chromium for the console tests (test/console) and `npm run screenshots` when it
# is missing. Needs root (CI and the project's machines run as root); does nothing when
# /usr/bin/chromium exists. Exits non-zero, with apt-get's message, when the install fails.
set -eu
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "install-browser.sh: /usr/bin/chromium is missing; run this script as root (apt-get install chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends chromium
test -x /usr/bin/chromium
