"""Navigation entries contributed by the dispositifs app."""

from django.utils.translation import gettext_lazy as _

from alize.accounts.context_processors import register_navigation
from alize.accounts.models import Role

register_navigation(
    _("Comités"),
    "committees:list",
    (Role.NATIONAL_COORDINATOR, Role.ANIMATEUR, Role.COMMITTEE_MEMBER),
)
