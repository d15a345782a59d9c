"""Addresses of pages, worked out once per process: for lists, and for the links every page shows."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, reverse


def object_url(viewname: str, key: Any) -> str:
    """The address of one object's page (``viewname`` taking the object's public id or reference).

    An object's address never changes, so each process works it out once: ``reverse`` costs
    ~30 µs, and a list of 60 rows would spend 2 ms on it. Keyed with the script prefix, so a
    server mounted under a path gets its own addresses.
    """
    return _reversed(get_script_prefix(), viewname, (key,))


def page_url(viewname: str, *args: Any) -> str:
    """The address of a page that takes no or fixed arguments (a menu entry, a form's action).

    What ``{% url %}`` gives, for the ``page_url`` template tag (portal's ``pages`` library): the frame
    alone links to ~9 pages on every request, and reversing them took a third of its time.
    """
    return _reversed(get_script_prefix(), viewname, args)


@functools.lru_cache(maxsize=16384)
def _reversed(_prefix: str, viewname: str, args: tuple[Any, ...]) -> str:
    return reverse(viewname, args=args)


def public_url(path: str) -> str:
    """``path`` (from the site's root, ``/verify/``) at the address the public reaches the platform at.

    For what leaves the platform and is opened elsewhere — a QR code on a printed licence, a
    link in an SMS — so never the address of the request that made it. GOVHALL_PUBLIC_URL;
    scripts/run-dev.sh sets it to the host and port the development server was started on.
    """
    return f"{settings.PUBLIC_URL}{path}"
