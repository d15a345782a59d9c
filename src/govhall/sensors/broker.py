"""The broker's password, ACL and configuration files, made from the station registry.

Each station logs in with its code as user name and may only write its own two topics; the
subscriber logs in as its own user and may only read. Mosquitto reads the files at start
and again on SIGHUP, so after a station is added or its password reissued:
``manage.py sensors_broker_files --out /etc/mosquitto/govhall && systemctl reload mosquitto``.
"""

from __future__ import annotations

import os
from pathlib import Path

from govhall.sensors.actions import _mosquitto_hash
from govhall.sensors.models import Station

CONFIG = """# Made by `manage.py sensors_broker_files`; do not edit by hand.
per_listener_settings false
# Started as root, Mosquitto becomes this user (it must be able to read the files below):
user {run_as}
allow_anonymous false
password_file {folder}/passwd
acl_file {folder}/acl
# Keep sessions and queued QoS 1 messages across a broker restart:
persistence {persistence}
persistence_location {folder}/
autosave_interval 30
# The subscriber holds its acknowledgements until a batch commits: let many be in flight:
max_inflight_messages 2000
max_queued_messages 200000
listener {port} {bind}
{tls}"""

TLS = """# TLS (production): the stations and the subscriber verify this certificate.
certfile {certfile}
keyfile {keyfile}
tls_version tlsv1.2
"""


def acl_text(stations: list[Station], subscriber_user: str) -> str:
    lines = [f"user {subscriber_user}", "topic read govhall/#", ""]
    for station in stations:
        lines += [
            f"user {station.code}",
            f"topic write govhall/{station.region}/{station.code}/data",
            f"topic write govhall/{station.region}/{station.code}/state",
            "",
        ]
    return "\n".join(lines)


def write_broker_files(
    folder: Path,
    *,
    subscriber_user: str,
    subscriber_password: str,
    port: int = 1883,
    bind: str = "127.0.0.1",
    persistence: bool = True,
    certfile: str = "",
    keyfile: str = "",
    run_as: str = "mosquitto",
) -> dict[str, int]:
    """Write passwd, acl and mosquitto.conf into ``folder``; return counts. Stations without a password are left out."""
    folder.mkdir(parents=True, exist_ok=True)
    stations = list(Station.objects.filter(is_active=True).exclude(mqtt_password_hash="").order_by("code"))
    passwd = [f"{subscriber_user}:{_mosquitto_hash(subscriber_password)}"]
    passwd += [f"{s.code}:{s.mqtt_password_hash}" for s in stations]
    for name, text in (("passwd", "\n".join(passwd) + "\n"), ("acl", acl_text(stations, subscriber_user))):
        path = folder / name
        path.write_text(text)
        os.chmod(path, 0o600)
    tls = TLS.format(certfile=certfile, keyfile=keyfile) if certfile else ""
    (folder / "mosquitto.conf").write_text(
        CONFIG.format(
            run_as=run_as, folder=folder, port=port, bind=bind, tls=tls, persistence="true" if persistence else "false"
        )
    )
    return {"stations": len(stations)}
