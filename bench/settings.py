"""Settings of the benchmark server: production's settings, plus the bare ceiling views and the bench table.

The ceiling views must never be reachable in production, so they live in ``bench.urls``,
which only this module names. Everything else (middleware, sessions, CSRF, DEBUG off, the
database from DATABASE_URL) is exactly ``govhall.conf.settings``.
"""

from govhall.conf.settings import *  # noqa: F403
from govhall.conf.settings import INSTALLED_APPS, MIDDLEWARE

ROOT_URLCONF = "bench.urls"
WSGI_APPLICATION = "bench.wsgi.application"
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
# The load comes from one address; in production a reverse proxy passes each citizen's own
# address on, and the per-address limits of the verification page and API apply to it. The
# bench does what that proxy does, so that it measures verifications, not refusals:
MIDDLEWARE = ["bench.views.ForwardedForMiddleware", *MIDDLEWARE]
DEBUG = False
