#!/bin/sh
# Install Debian's Chromium for the browser tests (tests/web/test_browser.py) when it is missing.
# Playwright drives it through executable_path=/usr/bin/chromium; we never download a browser.
# Exit status: 0 when /usr/bin/chromium is there afterwards; under CI=true, 1 when it cannot be
# installed (the browser tests must run in CI); elsewhere 0 with a note (the tests then skip).
set -u
CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

fail() {
    echo "install_browser: $1" >&2
    if [ "${CI:-}" = "true" ]; then
        exit 1
    fi
    echo "install_browser: the browser tests will be skipped" >&2
    exit 0
}

if [ "$(id -u)" != "0" ]; then
    fail "Chromium is missing and we are not root: run 'sudo apt-get install -y chromium'"
fi
if ! command -v apt-get >/dev/null 2>&1; then
    fail "Chromium is missing and apt-get is not available: install Chromium at $CHROMIUM"
fi
echo "install_browser: installing Debian's chromium (a few minutes)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null \
    || fail "apt-get install chromium failed"
[ -x "$CHROMIUM" ] || fail "chromium installed but $CHROMIUM is missing"
echo "install_browser: $($CHROMIUM --version 2>/dev/null || echo chromium installed)"
