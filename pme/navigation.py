"""Navigation entries of the pme app: the animateur's daily pages."""

from django.utils.translation import gettext_lazy as _

from alize.accounts.context_processors import register_navigation
from alize.accounts.models import Role

STAFF = (Role.NATIONAL_COORDINATOR, Role.ANIMATEUR)

register_navigation(_("Entreprises"), "pme:company-list", STAFF)
# Committee members read the dossiers of their dispositif.
register_navigation(_("Projets"), "pme:project-list", (*STAFF, Role.COMMITTEE_MEMBER))
register_navigation(_("Entonnoir"), "pme:funnel", STAFF)
