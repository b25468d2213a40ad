from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MissionsConfig(AppConfig):
    """Skill missions and expert hours: a layer above committees (missions come from an
    approved decision), beside loans, below reporting."""

    name = "missions"
    label = "missions"
    verbose_name = _("Missions d'expertise")

    def ready(self):
        from dispositifs.access import register_firm_presence

        # A firm with a mission in a dispositif where it holds no seat (cross-territory
        # lending) reaches that dispositif: its correspondent and experts must see the work.
        register_firm_presence("missions.SkillMission", "firm")
        # Home, project panels and menu entries register themselves on import.
        for module in ("panels", "navigation", "indicators", "personal_data"):
            import_module(f"{self.name}.{module}")
