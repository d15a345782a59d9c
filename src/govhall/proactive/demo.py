"""Demo renewal rules: 取水许可 holders hear 45 days ahead (the others keep 30/15/7)."""

from __future__ import annotations

from django.conf import settings

from govhall.licences.models import LicenceType
from govhall.proactive.models import RenewalRule


def load_renewal_demo() -> int:
    water = LicenceType.objects.filter(code=settings.BUREAU_CREDIT_CODE + "002").first()
    if water is None:
        return 0
    RenewalRule.objects.update_or_create(licence_type=water, defaults={"reminder_days": [45, 30, 15, 7]})
    return 1
