"""Who a hall device is: its key (kept in a cookie on the device, or sent in a header) read on each request.

The lookup is cached in the shared cache for a minute, so a board polling every second costs
no database query; revoking a device deletes its cache entry, so the key is refused at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from govhall.halls.actions import device_key_hash
from govhall.halls.models import HallDevice

COOKIE = "govhall_device"
HEADER = "HTTP_X_DEVICE_KEY"


@dataclass(frozen=True)
class Device:
    id: int
    hall_id: int
    kind: str
    name: str


def device_for(request: HttpRequest) -> Device | None:
    """The registered, not revoked device this request comes from, or None."""
    key = request.META.get(HEADER) or request.COOKIES.get(COOKIE) or ""
    if not key or len(key) > 100:
        return None
    key_hash = device_key_hash(key)
    cache_key = f"halls:device:{key_hash}"
    found: Any = cache.get(cache_key)
    if found is None:
        row = HallDevice.objects.filter(key_hash=key_hash).values("pk", "hall_id", "kind", "name", "revoked_at").first()
        found = (row["pk"], row["hall_id"], row["kind"], row["name"]) if row and row["revoked_at"] is None else ()
        cache.set(cache_key, found, timeout=60)
    if not found:
        return None
    device = Device(*found)
    # Last seen, written at most once a minute per device:
    if cache.add(f"halls:seen:{device.id}", 1, timeout=60):
        HallDevice.objects.filter(pk=device.id).update(last_seen_at=timezone.now())
    return device
