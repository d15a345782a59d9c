"""gunicorn's settings for production: ``gunicorn -c python:govhall.conf.gunicorn govhall.conf.wsgi``.

Sync workers, ``2 × cores + 1`` of them (``GOVHALL_WEB_WORKERS``), behind a reverse proxy that
buffers requests and responses (nginx, or the hall's gateway), as gunicorn's own deployment
guide asks of sync workers: a slow client then never holds a worker.

Why not threaded (gthread) workers: a gthread worker accepts every connection it can (up to
``worker_connections``, 1,000 by default) and keeps a kept-alive connection to itself. Under a
steady load over kept-alive connections (a proxy's upstream pool, or the benchmarks' wrk) the
connections land unevenly and stay there: 16 connections to four 4-thread workers were
measured held 12, 3, 1 and 0, so three quarters of the requests queued on one process, on one
core, while a whole worker idled. The benchmarks' inbox had a p95 of 245 ms that way and
144 ms with sync workers, on the same machine in the same hour (docs/benchmarks.md). A sync
worker takes a connection only when it is free to serve it, so the kernel hands each new one
to an idle worker, and with two cores shared with PostgreSQL more threads per process would
only wait for Python's one lock.

Each setting can still be given on the command line, which wins over this file.
"""

from __future__ import annotations

import os

from govhall.conf.env import env_int, env_str

bind = env_str("GOVHALL_WEB_BIND", "127.0.0.1:8000")
workers = env_int("GOVHALL_WEB_WORKERS", 2 * (os.cpu_count() or 1) + 1)
worker_class = "sync"
# A request that takes longer than this is stuck (the slowest page, a licence's signing, takes
# under a second); its worker is restarted:
timeout = env_int("GOVHALL_WEB_TIMEOUT_SECONDS", 60)
# gunicorn 25+ opens a control socket (for ``gunicornc``) at one path per user, $XDG_RUNTIME_DIR
# or ~/.gunicorn/gunicorn.ctl: a second server on the same machine takes it over, and the first
# to stop deletes it from under the other. The platform is managed by signals (TERM, HUP) instead:
control_socket_disable = True
