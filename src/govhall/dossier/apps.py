from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossierConfig(AppConfig):
    name = "govhall.dossier"
    verbose_name = _("一码管理")
