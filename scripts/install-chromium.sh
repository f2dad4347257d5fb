#!/usr/bin/env bash
# Debian's Chromium for the review-page browser test (no browser download by any tool).
set -eu
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
else
  echo "chromium not installed and cannot install it (need root + apt-get); the browser test will fail" >&2
fi
