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


def load_entitlement_demo() -> int:
    """One 免申即享 policy: the ecological forest compensation for holders of a forest-right certificate."""
    from govhall.identity.models import Department
    from govhall.proactive.models import Entitlement

    forestry = Department.objects.filter(code="forestry").first()
    forest_right = LicenceType.objects.filter(name__startswith="林权证").first()
    if forestry is None or forest_right is None:
        return 0
    Entitlement.objects.get_or_create(
        name="生态公益林损失补偿（免申即享）",
        defaults={
            "description": "区级生态公益林补偿资金按林权证登记面积直接拨付到林权人账户。",
            "legal_basis": "《福建省生态公益林条例》第二十四条",
            "department": forestry,
            "licence_type": forest_right,
        },
    )
    return 1
