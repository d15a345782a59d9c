"""The proof-of-work challenge (ALTCHA) on forms that bots would flood, such as booking a hall slot.

The browser's widget fetches a challenge, finds the number in a worker and posts the signed
solution with the form; no third-party service is involved and no one is asked to read
distorted letters (WCAG). A solution is accepted once: its salt is remembered in the shared
cache until the challenge expires, so a solved payload cannot be replayed by a script.
"""

from __future__ import annotations

import datetime
import json
from base64 import b64decode
from typing import Any

import altcha

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

LIFETIME = datetime.timedelta(minutes=10)


def _key() -> str:
    return salted_hmac("govhall.lib.challenge", "altcha-v1", secret=settings.SECRET_KEY, algorithm="sha256").hexdigest()


def new_challenge() -> dict[str, Any]:
    """A fresh signed challenge for the widget (JSON)."""
    options = altcha.ChallengeOptionsV1(
        hmac_key=_key(), max_number=settings.CHALLENGE_MAX_NUMBER, expires=timezone.now() + LIFETIME
    )
    challenge = altcha.create_challenge_v1(options)
    return {
        "algorithm": challenge.algorithm,
        "challenge": challenge.challenge,
        "maxnumber": challenge.max_number,
        "salt": challenge.salt,
        "signature": challenge.signature,
    }


def check_solution(payload: str) -> None:
    """Accept a solved challenge once; raise ValidationError (field ``altcha``) otherwise."""
    refused = ValidationError({"altcha": _("请先完成“我不是机器人”验证（勾选后稍等片刻），再提交。")})
    if not payload or len(payload) > 4000:
        raise refused
    try:
        ok, _error = altcha.verify_solution_v1(payload, _key(), check_expires=True)
        salt = json.loads(b64decode(payload))["salt"]
    except (ValueError, KeyError, TypeError):
        raise refused from None
    if not ok or not cache.add(f"altcha:{salt}", 1, timeout=int(LIFETIME.total_seconds()) + 60):
        raise refused
