#!/usr/bin/env bash
# Debian packages the tests need: Chromium for the browser tests, a CJK font, poppler, gettext,
# NSS tools (certutil: a trust store for pdfsig), zbar (reads QR codes from page images), wrk (the
# load generator of the benchmarks and their smoke test), Mosquitto and its clients (the field sensors).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing+=(fonts-wqy-zenhei)
command -v pdfsig >/dev/null 2>&1 || missing+=(poppler-utils)
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
command -v certutil >/dev/null 2>&1 || missing+=(libnss3-tools)
command -v zbarimg >/dev/null 2>&1 || missing+=(zbar-tools)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
[ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || missing+=(mosquitto-clients)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
