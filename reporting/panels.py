"""Panels of reporting: a committee's agenda and minutes on the committee page, an
advance's contract and amendments on the advance page, the indicators dashboard at the top
of the home page, and the firm's documents link on a correspondent's home."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.panels import register_panel
from dispositifs.access import dispositif_ids, document_firm_ids, may
from loans.models import AdvanceStatus

from . import dashboards
from .selectors import advance_documents, committee_documents


@register_panel("committee", order=10)
def committee_documents_panel(request, committee):
    """The committee's current agenda and minutes, for those who read them."""
    documents = list(committee_documents(request.user, committee))
    if not documents:
        return None
    return {"template": "reporting/panel_committee_documents.html", "documents": documents}


@register_panel("advance", order=10)
def advance_documents_panel(request, advance):
    """The advance's contract PDF and its amendments for those who read them, and the
    button that produces the contract while the advance awaits its signature."""
    user = request.user
    documents = list(advance_documents(user, advance))
    can_request = (
        advance.status == AdvanceStatus.APPROVED
        and may(user, Action.MANAGE_ADVANCE, advance.dispositif_id)
        and may(user, Action.REQUEST_DOCUMENT, advance.dispositif_id)
    )
    if not documents and not can_request:
        return None
    return {
        "template": "reporting/panel_advance_documents.html",
        "advance": advance,
        "documents": documents,
        "can_request": can_request,
        "has_contract": any(d.kind == "contract" for d in documents),
    }


@register_panel("home", order=70)
def firm_documents_panel(request, obj=None):
    """A link to the Documents page for those who read only their firm's documents (the
    menu entry is for those who read a dispositif's)."""
    user = request.user
    if dispositif_ids(user, Action.VIEW_DOCUMENT) != set() or not document_firm_ids(
        user, Action.VIEW_DOCUMENT
    ):
        return None
    return {
        "template": "includes/panel_links.html",
        "label": _("Documents de votre entreprise"),
        "links": [(_("Documents"), reverse("reporting:list"))],
    }


@register_panel("home", order=1)
def dashboard_panel(request, obj=None):
    """The indicators dashboard of what the user reads (the network, their dispositifs or
    their firm's contribution), above the to-do panels; filters and sorting stay in the home
    page's own query string."""
    if not may(request.user, Action.VIEW_INDICATORS):
        return None
    board = dashboards.dashboard(request.user, request.GET)
    if board is None:
        return None
    return {"template": "reporting/panel_dashboard.html", "board": board}
