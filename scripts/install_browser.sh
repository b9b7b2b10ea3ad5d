#!/usr/bin/env bash
# Install what the browser tests need: Debian's Chromium (the tests drive it
# with Playwright's Python client, from the project's dev dependencies).
# Never `playwright install`: its browser download cannot be fetched here.
# Needs root (CI runs as root); a no-op when Chromium is already there.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  echo "chromium present: $(chromium --version 2>/dev/null | head -n 1)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "installed $(chromium --version 2>/dev/null | head -n 1)"
