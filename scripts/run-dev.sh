#!/usr/bin/env bash
# Run the platform for development: demo data, the background worker and the web server.
# Development keys are generated into var/keys/ (ignored by git) the first time settings load.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_DEBUG="${DJANGO_DEBUG:-1}"
# Demo staff skip the second factor; every page then says so in a banner:
export GOVHALL_DEV_SKIP_STAFF_2FA="${GOVHALL_DEV_SKIP_STAFF_2FA:-1}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
PY=.venv/bin/python

$PY manage.py load_demo
$PY manage.py db_worker --queue-name '*' --no-reload &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  govhall is running:   http://$HOST:$PORT/
  staff desk:           http://$HOST:$PORT/desk/login/
  health:               http://$HOST:$PORT/healthz
  development keys in:  var/keys/ (never commit them)
  Stop with Ctrl-C.

MSG
$PY manage.py runserver "$HOST:$PORT" --noreload
