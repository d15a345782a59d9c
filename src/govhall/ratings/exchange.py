"""A rating as the provincial 好差评 system takes it (message type 36 of the Fujian exchange).

The exchange work (issue 26) sends these through its outbox; this module only says what a
rating becomes, so that the content is defined once, next to the ratings. Channel codes
follow the national 好差评 interface (评价渠道: 1 PC, 2 mobile, 3 QR code, 4 hall rating pad,
5 other hall terminal, 6 telephone, 7 SMS).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from govhall.ratings.constants import LEVEL_SCORES, Channel, RatingLevel
from govhall.ratings.models import Rating

CHANNEL_CODES = {
    Channel.ONLINE: "1",
    Channel.PAD: "4",
    Channel.KIOSK: "5",
    Channel.HOTLINE: "6",
    Channel.SMS: "7",
}
MESSAGE_TYPE = "36"


def provincial_rating(rating: Rating) -> dict[str, Any]:
    """The fields the provincial system needs: case, item code and version, level, channel, region, staff rated.

    Never the rater's identity or free text (the province receives the rating, not the
    person); staff are named by their account, which the province maps to its own records.
    """
    case = rating.case
    version = case.item_version if case else None
    return {
        "message_type": MESSAGE_TYPE,
        "region_code": settings.REGION_CODE.ljust(12, "0"),
        "rating_id": str(rating.public_id),
        "case_number": case.reference if case else None,
        "visit_reference": rating.visit_reference or None,
        "item_code": version.item.implementation_code if version else None,
        "item_version": version.number if version else None,
        "case_status": case.status if case else None,
        "level": LEVEL_SCORES[RatingLevel(rating.level)],
        "indicators": dict(rating.indicator_scores),
        "reasons": sorted(reason.code for reason in rating.reasons.all()),
        "channel": CHANNEL_CODES[Channel(rating.channel)],
        "is_follow_up": rating.is_follow_up,
        "is_default": rating.is_default,
        "is_removed": rating.is_removed,
        "rated_staff": sorted(user.username for user in rating.staff.all()),
        "department_credit_code": rating.department.credit_code,
        "rated_at": rating.rated_at.isoformat(),
    }
