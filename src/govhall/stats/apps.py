from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "govhall.stats"
    verbose_name = _("统计与考核")
