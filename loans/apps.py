from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "loans"
    verbose_name = _("Avances remboursables")

    def ready(self):
        # Home and project page panels, the menu entries, the indicators and the backup's
        # ledger figures, the ledger's tables kept by erasures, and the tasks (their receiver
        # of abandoned jobs, for the sweeper wherever it runs) register themselves.
        for module in ("panels", "navigation", "indicators", "backup", "personal_data", "tasks"):
            import_module(f"{self.name}.{module}")
