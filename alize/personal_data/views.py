"""The pages of personal data (docs/personal-data.md): the register, public; and, for the
national coordination (``Action.MANAGE_PERSONAL_DATA``), finding a person, the export of
what is held about them (a printable page and JSON) and its erasure, asked to confirm first.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from alize.actions import Action
from alize.web import ActionRequiredMixin, ServiceCall, confirmation_page, is_confirmed

from . import selectors, services
from .register import register_entries

# Rows of one table shown on the page; the JSON export holds them all.
SHOWN_ROWS = 100


class RegisterView(TemplateView):
    """The register of processing: what is held, why, on what basis, how long, who sees
    it. Public: it is also the notice given to the persons concerned."""

    template_name = "personal_data/register.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["entries"] = register_entries()
        return context


class PeopleView(ActionRequiredMixin, TemplateView):
    """Find a person by name or e-mail across the network; the latest erasures and runs of
    the retention job."""

    action = Action.MANAGE_PERSONAL_DATA
    template_name = "personal_data/people.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()
        context.update(
            query=query,
            found=selectors.person_search(self.request.user, query) if query else None,
            erasures=selectors.erasure_records(),
            reports=selectors.retention_reports(),
        )
        return context


class PersonMixin(ActionRequiredMixin):
    action = Action.MANAGE_PERSONAL_DATA
    kwargs: dict

    def get_person(self):
        found = selectors.person_get(self.request.user, self.kwargs["kind"], self.kwargs["pk"])
        if found is None:
            raise Http404
        return found


class PersonView(PersonMixin, TemplateView):
    """Everything held about one person, as a readable and printable page."""

    template_name = "personal_data/person.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        found = self.get_person()
        export = selectors.person_export(found)
        context.update(
            found=found,
            export=export,
            groups=[
                (_("Sa fiche"), _tables({k: [row] for k, row in export["person"].items()})),
                (_("Lignes qui la désignent"), _tables(export["related"])),
                (_("Historiques"), _tables(export["history"])),
                (_("Textes qui la mentionnent"), _tables(export["mentions"])),
            ],
        )
        return context


def _tables(groups: dict[str, list[dict]]) -> list[dict]:
    """Each table of an export group as headers and rows, for the page."""
    tables = []
    for name, rows in groups.items():
        headers = list(dict.fromkeys(key for row in rows for key in row))
        shown = [[_cell(row.get(header)) for header in headers] for row in rows[:SHOWN_ROWS]]
        tables.append(
            {"name": name, "headers": headers, "rows": shown, "more": len(rows) - len(shown)}
        )
    return tables


def _cell(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class PersonJsonView(PersonMixin, View):
    """The same export as a JSON file."""

    def get(self, request, kind, pk):
        found = self.get_person()
        export = selectors.person_export(found)
        content = json.dumps(export, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        response = HttpResponse(content, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(
            True, f"donnees-{kind}-{pk}.json"
        )
        return response


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motif de l'effacement"),
        help_text=gettext_lazy(
            "Par exemple : demande de la personne reçue le …, par courrier. Ne recopiez pas "
            "son nom : il serait effacé du motif."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


class PersonEraseView(PersonMixin, TemplateView):
    """Erase a person: say why, see what will happen, confirm."""

    template_name = "personal_data/erase.html"

    def render(self, form, status=200):
        found = self.get_person()
        if found.erased:
            raise Http404
        context = {"found": found, "form": form, "title": _("Effacer les données")}
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        return self.render(ErasureForm())

    def post(self, request, kind, pk):
        found = self.get_person()
        if found.erased:
            raise Http404
        form = ErasureForm(request.POST)
        if form.is_valid() and not is_confirmed(request):
            return confirmation_page(
                request,
                title=_("Effacer les données de %(name)s ?") % {"name": found.name},
                consequences=[
                    _(
                        "Son nom, son adresse e-mail et son téléphone seront remplacés par "
                        "« Personne effacée » partout : sa fiche, ses historiques, les notes, "
                        "les e-mails envoyés et les tâches qui les mentionnent."
                    ),
                    _(
                        "Son compte, s'il en a un, sera fermé et ses rôles retirés ; un "
                        "expert et son compte sont effacés ensemble."
                    ),
                    _(
                        "Les heures, l'argent, les décisions et les chiffres restent tels "
                        "quels, sans son nom."
                    ),
                    _("Un effacement ne se défait pas."),
                ],
                action_url=reverse("personal_data:person-erase", args=[kind, pk]),
                back_url=reverse("personal_data:person", args=[kind, pk]),
            )
        if form.is_valid():
            with ServiceCall(form) as call:
                services.person_erase(
                    kind=kind, person_id=pk, by=request.user, reason=form.cleaned_data["reason"]
                )
            if not call.refused:
                messages.success(request, _("Les données de la personne sont effacées."))
                return redirect("personal_data:people")
        return self.render(form, status=400)
