from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PmeConfig(AppConfig):
    name = "pme"
    verbose_name = _("PME et projets")

    def ready(self):
        # Home-page panels and navigation entries register themselves on import, in
        # this order (the order they appear in).
        for module in ("panels", "navigation"):
            import_module(f"{self.name}.{module}")
        import_module(f"{self.name}.signals")
        import_module(f"{self.name}.indicators")
        import_module(f"{self.name}.personal_data")
