from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispositifsConfig(AppConfig):
    name = "dispositifs"
    verbose_name = _("Dispositifs")

    def ready(self):
        from . import home  # noqa: F401  (registers the home-page panel)
