"""Errors every app's actions share."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404


class Conflict(ValidationError):
    """What was asked conflicts with what was already done (a status that does not allow it now).

    A ValidationError, so forms and pages show its message like any refusal; the API answers
    it with 409 instead of 400 (``lib.api.platform_exception_handler``). Each app's
    ``InvalidTransition`` is one.
    """


def uuid_or_404(value: Any) -> uuid.UUID:
    """A public id from an address or a form; anything that is not a UUID is "not found" (Http404)."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None
