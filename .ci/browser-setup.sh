#!/usr/bin/env bash
# Headless Chromium for tests/test_browser.py (pytest marker "browser").
#
# Debian's chromium package only: playwright drives it through
# executable_path=/usr/bin/chromium, so `playwright install` is never run and
# no tool downloads a browser of its own. The playwright Python package itself
# comes from the project's test extra in pyproject.toml
# (pip install -e '.[test]'), not from here.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "browser-setup: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "browser-setup: needs root for apt-get (run as root or with sudo)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "browser-setup: $(/usr/bin/chromium --version 2>/dev/null) installed"
