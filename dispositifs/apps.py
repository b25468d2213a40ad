from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispositifsConfig(AppConfig):
    name = "dispositifs"
    verbose_name = _("Dispositifs")

    def ready(self):
        from importlib import import_module
        from importlib.util import find_spec

        # Home-page panels and navigation entries of the app register themselves.
        for module in ("dispositifs.home", "dispositifs.committee_home", "dispositifs.navigation"):
            if find_spec(module):
                import_module(module)
