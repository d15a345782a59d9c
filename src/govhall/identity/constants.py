from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Staff roles. A role never implies another: each grant is checked on its own."""

    CLERK = "clerk", _("窗口受理")
    REVIEWER = "reviewer", _("审核")
    APPROVER = "approver", _("审批")
    SUPERVISOR = "supervisor", _("监督")
    CONTENT_EDITOR = "content_editor", _("内容编辑")
    ARCHIVIST = "archivist", _("档案管理员")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


# 三员分立 (GB/T 22239 level 3): the three administrators are separate people, and an
# administrator does not also handle cases (least privilege).
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
BUSINESS_ROLES = frozenset(set(Role) - ADMIN_ROLES)
# The roles whose work needs a subject's records: the dossier and a licence's staff pages
# (least privilege: not content editors, not the system, security or audit administrators):
RECORD_ROLES = frozenset({Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.SUPERVISOR})


class UserKind(models.TextChoices):
    APPLICANT = "applicant", _("办事群众与企业")
    STAFF = "staff", _("工作人员")


class AuthorisationRole(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal_representative", _("法定代表人")
    AGENT = "agent", _("经办人")


class EntityKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    SOLE_TRADER = "sole_trader", _("个体工商户")
    COOPERATIVE = "cooperative", _("农民专业合作社")
    PUBLIC_INSTITUTION = "public_institution", _("事业单位")
    GOVERNMENT = "government", _("机关")
    SOCIAL_ORGANISATION = "social_organisation", _("社会组织")
    OTHER = "other", _("其他")


# Authority + type characters of GB 32100 that tell the kind of entity:
ENTITY_KIND_BY_CODE = {
    "11": EntityKind.GOVERNMENT,
    "12": EntityKind.PUBLIC_INSTITUTION,
    "51": EntityKind.SOCIAL_ORGANISATION,
    "52": EntityKind.SOCIAL_ORGANISATION,
    "53": EntityKind.SOCIAL_ORGANISATION,
    "91": EntityKind.ENTERPRISE,
    "92": EntityKind.SOLE_TRADER,
    "93": EntityKind.COOPERATIVE,
}

# Session keys:
SESSION_ACTING_FOR = "govhall_acting_for"
SESSION_LAST_SEEN = "govhall_last_seen"
SESSION_STARTED_AT = "govhall_session_started_at"
# The authenticator this session may see the secret of (after giving an enrolment code), and until when:
SESSION_ENROLMENT = "govhall_totp_enrolment"
