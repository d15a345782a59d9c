from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "govhall.complaints"
    verbose_name = _("投诉与督办")
