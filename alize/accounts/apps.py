from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "alize.accounts"
    label = "accounts"
    verbose_name = _("Comptes et rôles")

    def ready(self):
        # Connects the sign-in receiver that notes whether a second-factor code is due.
        from . import second_factor  # noqa: F401

        # Declares the users as a kind of person (docs/personal-data.md).
        from . import personal_data  # noqa: F401
