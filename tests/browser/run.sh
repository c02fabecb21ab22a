#!/usr/bin/env bash
# Browser checks of the admin screens: installs Debian's Chromium and the pinned puppeteer-core
# (no browser download) when missing, then runs each check against the served test bed site.
# Needs TB_SITE_DIR, TB_SITE_URL and TB_EXT (set by tests/run.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [[ ! -x /usr/bin/chromium ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null ||
        { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
fi
if [[ ! -d node_modules/puppeteer-core ]]; then
    npm ci --no-audit --no-fund --silent
fi
node reconcile-ui.js
