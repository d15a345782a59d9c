"""Licence statuses (a ministry profile of GB/T 36903 practice, STANDARDS §3) and holder code types."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LicenceStatus(models.TextChoices):
    VALID = "01", _("有效")
    SUSPENDED = "02", _("暂停")
    REVOKED = "03", _("撤销")
    CANCELLED = "04", _("注销")
    EXPIRED = "05", _("过期")
    TRANSFERRED = "06", _("转出")
    PENALTY_REVOKED = "07", _("吊销")
    OTHER = "99", _("其他")


_STATUS_LABELS = dict(LicenceStatus.choices)


def status_label(status: str) -> str:
    """A status's label in the active language, without building the enum member (lists call it per row)."""
    return str(_STATUS_LABELS.get(status, status))


class HolderCodeType(models.TextChoices):
    RESIDENT_ID = "111", _("居民身份证")
    CREDIT_CODE = "001", _("统一社会信用代码")
    OTHER_ENTITY = "099", _("其他法人或其他组织证件")
    OTHER_PERSON = "999", _("其他个人证件")


S = LicenceStatus

# Which status may follow which; every change goes through actions.change_status:
TRANSITIONS: dict[str, frozenset[str]] = {
    S.VALID: frozenset({S.SUSPENDED, S.REVOKED, S.CANCELLED, S.EXPIRED, S.TRANSFERRED, S.PENALTY_REVOKED}),
    S.SUSPENDED: frozenset({S.VALID, S.REVOKED, S.CANCELLED, S.EXPIRED, S.PENALTY_REVOKED}),
    S.REVOKED: frozenset(),
    S.CANCELLED: frozenset(),
    S.EXPIRED: frozenset(),
    S.TRANSFERRED: frozenset(),
    S.PENALTY_REVOKED: frozenset(),
    S.OTHER: frozenset(),
}

# Which bit list of the published status list a status sets (W3C Bitstring Status List purposes):
REVOCATION_STATUSES = frozenset({S.REVOKED, S.CANCELLED, S.TRANSFERRED, S.PENALTY_REVOKED, S.OTHER})
SUSPENSION_STATUSES = frozenset({S.SUSPENDED})
# The smallest list published, so that a position says little about when a licence was issued:
STATUS_LIST_MIN_BITS = 131072

# 加注件 (a copy for one stated purpose, STANDARDS §3): the longest expiry a holder may choose,
# and the longest purpose (it is repeated across the page as the watermark):
COPY_MAX_DAYS = 90
COPY_PURPOSE_MAX_LENGTH = 50
