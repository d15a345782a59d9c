"""What another department's system may be granted: OAuth2 scopes of the data-sharing API."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClientScope(models.TextChoices):
    LICENCES = "licences", _("查询主体的电子证照")
    CASES = "cases", _("查询主体的办件状态")
    LICENCE_CHECK = "licence_check", _("核验主体是否持有某类有效证照（仅答是或否）")


# The dossier records each scope opens (licence_check opens none: it answers yes or no):
KINDS_OF_SCOPE: dict[str, str] = {ClientScope.LICENCES: "licences", ClientScope.CASES: "cases"}
DEFAULT_RATE_PER_MINUTE = 60
