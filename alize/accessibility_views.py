"""The accessibility statement (« Déclaration d'accessibilité », RGAA 4.1.2): a public page,
linked from the footer of every page, that says how far the platform conforms, what was
checked and how, what is known not to conform, whom to write to and what recourse there is
(docs/architecture.md §8)."""

import datetime as dt

from django.conf import settings
from django.views.generic import TemplateView

# The day the statement was last established; change it with the statement's content.
STATEMENT_DATE = dt.date(2026, 12, 7)


class AccessibilityStatementView(TemplateView):
    """Open to everyone, signed in or not (and before a second factor is given)."""

    template_name = "accessibility.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statement_date"] = STATEMENT_DATE
        context["contact_email"] = settings.ACCESSIBILITY_CONTACT_EMAIL
        context["site_url"] = settings.SITE_URL
        return context
