from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "govhall.inspections"
    verbose_name = _("证后监管")
