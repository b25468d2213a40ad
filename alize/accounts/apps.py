from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "alize.accounts"
    label = "accounts"
    verbose_name = _("Comptes et rôles")

    def ready(self):
        # second_factor connects the sign-in receiver that notes whether a code is due;
        # personal_data declares the users as a kind of person (docs/personal-data.md).
        from . import personal_data, second_factor  # noqa: F401
