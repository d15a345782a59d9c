"""Errors every app's actions share."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class Conflict(ValidationError):
    """What was asked conflicts with what was already done (a status that does not allow it now).

    A ValidationError, so forms and pages show its message like any refusal; the API answers
    it with 409 instead of 400 (``lib.api.platform_exception_handler``). Each app's
    ``InvalidTransition`` is one.
    """
