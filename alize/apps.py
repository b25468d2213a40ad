from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AlizeConfig(AppConfig):
    """The project package as an app: management commands, demo data, shared templates, and
    the database's row-level security (``alize.row_security``)."""

    name = "alize"
    verbose_name = _("Alizé")

    def ready(self):
        # job_panels registers the home panel when imported.
        from . import job_panels, row_security  # noqa: F401
        from .tenancy import project_app_configs
        from .validators import guard_text_columns

        # Every app's models are loaded before any ``ready``: guard their free text.
        for config in project_app_configs():
            guard_text_columns(config.get_models())
        connection_created.connect(row_security.install, dispatch_uid="alize.row_security")
        post_migrate.connect(
            row_security.secure_tenant_tables,
            sender=self,
            dispatch_uid="alize.row_security.secure_tenant_tables",
        )
