"""The purposes a staff member may give for looking up a subject, and the kinds of records held."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from govhall.identity.constants import RECORD_ROLES


class Purpose(models.TextChoices):
    """Why a staff member opens a dossier (PIPL: the purpose is stated before the data is seen)."""

    CASE_HANDLING = "case_handling", _("办理办件")
    SUPERVISION = "supervision", _("监督检查")
    COMPLAINT = "complaint", _("投诉举报处理")
    CONSULTATION = "consultation", _("咨询答复")


class RecordKind(models.TextChoices):
    """The kinds of records a dossier holds; an API client is granted some of them."""

    CASES = "cases", _("办件")
    LICENCES = "licences", _("电子证照")
    MATERIALS = "materials", _("申请材料")
    RATINGS = "ratings", _("服务评价")
    COMPLAINTS = "complaints", _("投诉举报")
    PAYMENTS = "payments", _("缴费记录")
    DELIVERIES = "deliveries", _("结果送达")


ALL_KINDS = frozenset(RecordKind.values)
# Whom the subject rated or complained about must not reach the staff rated or complained
# about: among staff, only supervisors see these kinds in a dossier (the rectification and
# the complaint pages have their own gates):
SUPERVISED_KINDS = frozenset({RecordKind.RATINGS, RecordKind.COMPLAINTS})

# The roles whose work needs a subject's records (the licences' staff pages use the same):
DOSSIER_ROLES = RECORD_ROLES
