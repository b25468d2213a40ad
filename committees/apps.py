from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommitteesConfig(AppConfig):
    """Committees of a dispositif: a layer above the pipeline (pme), below missions and loans."""

    name = "committees"
    label = "committees"
    verbose_name = _("Comités")

    def ready(self):
        for module in ("panels", "navigation", "project_actions", "home_todo", "indicators"):
            import_module(f"{self.name}.{module}")
