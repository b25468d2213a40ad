from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Indicateurs et documents")

    def ready(self):
        for module in ("panels", "navigation", "signals"):
            import_module(f"{self.name}.{module}")
