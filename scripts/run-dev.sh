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
# Licence QR codes and links lead to this server as started, unless GOVHALL_PUBLIC_URL says
# otherwise; on all interfaces, to this machine's first address, which a phone on the LAN can open:
PUBLIC_HOST="$HOST"
if [ "$HOST" = "0.0.0.0" ] || [ "$HOST" = "::" ]; then
  PUBLIC_HOST="$(hostname -I 2>/dev/null | awk '{print $1}')"
  PUBLIC_HOST="${PUBLIC_HOST:-127.0.0.1}"
fi
case "$PUBLIC_HOST" in *:*) PUBLIC_HOST="[$PUBLIC_HOST]" ;; esac
export GOVHALL_PUBLIC_URL="${GOVHALL_PUBLIC_URL:-http://$PUBLIC_HOST:$PORT}"
if [ "${1:-}" = "--public-url" ]; then  # say what licences would link to, and start nothing
  echo "$GOVHALL_PUBLIC_URL"
  exit 0
fi
PY=.venv/bin/python
# Fees (docs/finance-platform.md): the finance platform's sandbox on 127.0.0.1:8027, started below:
export GOVHALL_FINANCE_URL="${GOVHALL_FINANCE_URL:-http://127.0.0.1:8027}"
# Delivery of results (docs/ems-platform.md): EMS's sandbox on 127.0.0.1:8028, started below:
export GOVHALL_EMS_URL="${GOVHALL_EMS_URL:-http://127.0.0.1:8028}"

$PY manage.py load_demo
# Files a crashed filing left behind (never those a committed row names):
$PY manage.py clean_uploads || true
# Seal the batched audit entries and checkpoint the chain now; the worker then repeats it every
# GOVHALL_AUDIT_UPKEEP_SECONDS (audit.tasks.keep_audit queues its own next run):
# A refused checkpoint (a database made anew beside old checkpoints in var/audit-checkpoints) is
# reported on the audit page and does not stop the platform:
$PY manage.py seal_audit_entries || echo "audit checkpoint refused: see docs/operations.md (Audit log)" >&2
# The periodic sweeps (rating invitations and defaults, late rectifications; late cases,
# complaints and unanswered supervision orders; office tasks near or past their deadline) and
# the monthly service report, each run now
# and then repeated by the worker (the task queues its own next run):
$PY manage.py sweep_ratings
$PY manage.py sweep_supervision
$PY manage.py sweep_office
$PY manage.py keep_service_reports
# The indicators (docs/indicators.md): every day not yet computed, then hourly on the worker:
$PY manage.py compute_indicators --schedule
# Archiving of closed cases and the fixity checks: queued for the worker (docs/archives.md):
$PY manage.py sweep_archives --schedule
# Post-licence inspections that came due (after-end and yearly plans), daily (docs/inspections.md):
$PY manage.py plan_inspections --schedule
# Reminders to renew licences coming to an end, daily (docs/licences.md, Renewal):
$PY manage.py send_renewal_reminders --schedule
# Suggestions: the item pairs behind "others also did", recounted nightly (docs/proactive.md):
$PY manage.py compute_item_affinities --schedule
# Payments: the 15-minute checks (outbox, pending orders, refunds) and the daily statement:
$PY manage.py reconcile_payments --schedule
# Delivery: closed cases' results made ready, EMS waybills and tracking, pick-up reminders, every minute:
$PY manage.py keep_deliveries --schedule
# The hall: held bookings expired, no-shows, reminders the day before, the night close, every minute:
$PY manage.py keep_halls --schedule
$PY manage.py db_worker --queue-name '*' --no-reload &
PIDS=($!)
$PY manage.py finance_sandbox --port 8027 >var/finance-sandbox.log 2>&1 &
PIDS+=($!)
$PY manage.py ems_sandbox --port 8028 >var/ems-sandbox.log 2>&1 &
PIDS+=($!)
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT INT TERM
# Field sensors (docs/sensors.md): the MQTT subscriber and the sweep (offline stations, escalation
# of unacknowledged red alarms, reading partitions). In development the broker is an anonymous
# Mosquitto on 127.0.0.1:1883: started here if nothing listens there; the subscriber reconnects by
# itself if it comes later.
MQTT_PORT="${GOVHALL_SENSORS_MQTT_PORT:-1883}"
if ! (exec 3<>"/dev/tcp/127.0.0.1/$MQTT_PORT") 2>/dev/null && [ -x /usr/sbin/mosquitto ]; then
  /usr/sbin/mosquitto -p "$MQTT_PORT" >var/mosquitto.log 2>&1 &
  PIDS+=($!)
fi
$PY manage.py sensors_subscriber &
PIDS+=($!)
$PY manage.py sweep_sensors --loop 60 >/dev/null &
PIDS+=($!)
# The exchange with the province (docs/exchange.md): the provincial sandbox on 127.0.0.1:8026,
# the two platforms pointed at it, and the outbox's sender (it also releases the open data sets):
$PY manage.py province_sandbox --port 8026 >var/province-sandbox.log 2>&1 &
PIDS+=($!)
$PY manage.py setup_exchange_sandbox --url http://127.0.0.1:8026
$PY manage.py run_exchange >var/exchange.log 2>&1 &
PIDS+=($!)

cat <<MSG

  govhall is running:   http://$HOST:$PORT/
  staff desk:           http://$HOST:$PORT/desk/login/
  health:               http://$HOST:$PORT/healthz
  licence QR codes to:  $GOVHALL_PUBLIC_URL
  finance sandbox:      http://127.0.0.1:8027/state  (fees are paid on its page)
  EMS sandbox:          http://127.0.0.1:8028/state  (move a parcel: POST /control/advance/<waybill>?to=signed)
  field sensors:        http://$HOST:$PORT/sensors/  (a demo storm: .venv/bin/python manage.py simulate_storm)
  development keys in:  var/keys/ (never commit them)
  Stop with Ctrl-C.

MSG
$PY manage.py runserver "$HOST:$PORT" --noreload
