from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlizeConfig(AppConfig):
    """The project package as an app: management commands, demo data, shared templates."""

    name = "alize"
    verbose_name = _("Alizé")

    def ready(self):
        from . import job_panels  # noqa: F401  (registers the home panel)
        from .tenancy import project_app_configs
        from .validators import guard_text_columns

        # Every app's models are loaded before any ``ready``: guard their free text.
        for config in project_app_configs():
            guard_text_columns(config.get_models())
