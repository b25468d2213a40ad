"""Panels of reporting: a committee's agenda and minutes on the committee page, and the
firm's documents link on a correspondent's home."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.panels import register_panel
from dispositifs.access import dispositif_ids, document_firm_ids

from .selectors import committee_documents


@register_panel("committee", order=10)
def committee_documents_panel(request, committee):
    """The committee's current agenda and minutes, for those who read them."""
    documents = list(committee_documents(request.user, committee))
    if not documents:
        return None
    return {"template": "reporting/panel_committee_documents.html", "documents": documents}


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
