"""Settings of the benchmark server: production's settings, plus the bare ceiling views and the bench table.

The ceiling views must never be reachable in production, so they live in ``bench.urls``,
which only this module names. Everything else (middleware, sessions, CSRF, DEBUG off, the
database from DATABASE_URL) is exactly ``govhall.conf.settings``.
"""

from govhall.conf.settings import *  # noqa: F403
from govhall.conf.settings import INSTALLED_APPS

ROOT_URLCONF = "bench.urls"
WSGI_APPLICATION = "bench.wsgi.application"
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
# The load comes from one address; in production the reverse proxy passes each citizen's own
# address on, and the per-address limits of the verification page and API apply to it. wrk
# stands where that proxy stands (on this host) and sends each request's X-Forwarded-For, so
# that the bench measures verifications, not refusals:
TRUSTED_PROXIES = ["127.0.0.1"]
DEBUG = False
