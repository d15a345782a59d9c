from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicinfoConfig(AppConfig):
    name = "govhall.publicinfo"
    verbose_name = _("政务公开")
