"""Behind our reverse proxy, the client's own address counts; a forged header from anyone else does not."""

from __future__ import annotations

from typing import Any

import pytest

from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from govhall.audit.models import SealedEntry
from govhall.portal.middleware import TrustedProxyMiddleware


def _seen(settings: Any, remote: str, forwarded: str | None) -> str:
    settings.TRUSTED_PROXIES = ["10.0.0.2", "10.0.0.3"]
    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request.META["REMOTE_ADDR"])
        return HttpResponse()

    extra = {"REMOTE_ADDR": remote} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {})
    TrustedProxyMiddleware(view)(RequestFactory().get("/", **extra))
    return seen[0]


def test_through_our_proxy_the_client_is_the_address_the_proxy_saw(settings: Any) -> None:
    assert _seen(settings, "10.0.0.2", "203.0.113.7") == "203.0.113.7"
    # Left of it is what the client itself sent, and is not believed; our own hops are skipped:
    assert _seen(settings, "10.0.0.2", "198.51.100.1, 203.0.113.7, 10.0.0.3") == "203.0.113.7"
    assert _seen(settings, "10.0.0.2", " 2001:db8::1 ") == "2001:db8::1"


def test_a_header_from_anyone_else_or_that_is_no_address_changes_nothing(settings: Any) -> None:
    assert _seen(settings, "198.51.100.9", "203.0.113.7") == "198.51.100.9"  # not our proxy
    assert _seen(settings, "10.0.0.2", "not-an-address") == "10.0.0.2"
    assert _seen(settings, "10.0.0.2", "") == "10.0.0.2"
    assert _seen(settings, "10.0.0.2", None) == "10.0.0.2"


@pytest.mark.django_db
def test_each_citizen_behind_the_proxy_has_their_own_limit_and_audit_address(settings: Any) -> None:
    from django.core.cache import cache

    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    cache.clear()
    client = Client(REMOTE_ADDR="10.0.0.2")
    answers = [
        client.get("/api/v1/licences/verify/", {"id": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code
        for _ in range(61)
    ]
    assert answers[:60] == [200] * 60 and answers[60] == 429
    other = client.get("/api/v1/licences/verify/", {"id": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.status_code == 200  # another citizen, not the proxy's one shared window
    assert set(SealedEntry.objects.values_list("ip_address", flat=True)) == {"203.0.113.7", "203.0.113.8"}
    cache.clear()
