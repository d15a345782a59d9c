from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HolidaysConfig(AppConfig):
    name = "govhall.holidays"
    verbose_name = _("工作日历")
