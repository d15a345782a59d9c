from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SensorsConfig(AppConfig):
    name = "govhall.sensors"
    verbose_name = _("农林水利物联网")
