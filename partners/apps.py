from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partenaires et missions")

    def ready(self):
        # Declares the experts as a kind of person (docs/personal-data.md).
        from . import personal_data  # noqa: F401
