from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchivesConfig(AppConfig):
    name = "govhall.archives"
    verbose_name = _("电子档案")
