from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PmeConfig(AppConfig):
    name = "pme"
    verbose_name = _("PME et projets")

    def ready(self):
        from importlib import import_module
        from importlib.util import find_spec

        # Home-page panels and navigation entries of the app register themselves.
        for module in ("pme.home", "pme.navigation"):
            if find_spec(module):
                import_module(module)
