from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProactiveConfig(AppConfig):
    name = "govhall.proactive"
    verbose_name = _("主动服务与通知")
