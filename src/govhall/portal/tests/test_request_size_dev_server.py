"""An oversized request gets 413 under the development server (``manage.py runserver``), as under gunicorn."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def post(live_server: Any, path: str, body: bytes, content_type: str) -> tuple[int, dict[str, str], str]:
    """POST over a real socket to the server pytest-django runs: Django's runserver handler (wsgiref)."""
    address = urlsplit(str(live_server.url))
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    connection.request("POST", path, body=body, headers={"Content-Type": content_type})
    response = connection.getresponse()
    answer = response.read().decode()
    connection.close()
    return response.status, dict(response.getheaders()), answer


def test_a_page_and_an_api_call_too_large_are_refused_with_413_and_the_reason(live_server: Any, settings: Any) -> None:
    settings.REQUEST_MAX_BYTES = 1024 * 1024
    body = b"x" * (3 * 1024 * 1024)
    status, _headers, page = post(live_server, "/items/x/apply/", body, "multipart/form-data; boundary=x")
    assert status == 413
    assert "提交的内容太大（3 MB），一次提交不能超过 1 MB。请分次上传，或压缩后再试。" in page
    status, headers, answer = post(live_server, "/api/v1/cases/", body, "application/json")
    assert status == 413 and headers["Content-Type"] == "application/json"
    assert json.loads(answer) == {
        "errors": ["提交的内容太大（3 MB），一次提交不能超过 1 MB。请分次上传，或压缩后再试。"]
    }
    # The server still answers the next request (the unread body was dropped, not taken as one):
    status, _headers, _page = post(live_server, "/api/v1/cases/", b"{}", "application/json")
    assert status in {401, 403}
