"""Kinds of inspection plan, inspection statuses and results (双随机一公开)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanKind(models.TextChoices):
    # Each licence is inspected once it is due: N days after its validity ends (e.g. the
    # regeneration of a felling site within a year), or once every calendar year (water-taking):
    AFTER_END = "after_end", _("证照到期后检查")
    YEARLY = "yearly", _("每年检查")
    # A share of the valid licences, drawn at random with two inspectors each:
    RANDOM = "random", _("双随机抽查")


class InspectionStatus(models.TextChoices):
    PLANNED = "planned", _("待检查")
    DONE = "done", _("已检查")
    UNASSIGNED = "unassigned", _("无可派检查人员")
    VOIDED = "voided", _("随抽查记录作废")


class InspectionResult(models.TextChoices):
    QUALIFIED = "qualified", _("合格")
    RECTIFY = "rectify", _("责令整改")
    CASE_FILED = "case_filed", _("立案查处")


INSPECTORS_PER_INSPECTION = 2
