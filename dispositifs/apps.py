from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispositifsConfig(AppConfig):
    """The tenant layer: dispositifs, their tour de table and the access policy."""

    name = "dispositifs"
    verbose_name = _("Dispositifs")

    def ready(self):
        from alize.tenancy import register_access_policy

        from . import access

        register_access_policy(dispositif_ids=access.dispositif_ids, scope_ids=access.scope_ids)
        # Home-page panels and page panels register themselves on import.
        for module in ("panels",):
            import_module(f"{self.name}.{module}")
