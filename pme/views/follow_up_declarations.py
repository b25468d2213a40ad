"""The follow-up an SME declares itself: the page behind its signed link (no account), and
the animateur's review of the declaration (validate as declared, or correct).

The link's page is the one pme page open without an account. It opens nothing but the
declaration its token names, in the scope of the dispositif the token names
(``alize.tenancy.public_door_scope``), and shows only the company's name, the project's title
and the year asked. A link that is not one answers 400, a used or expired one 410, each
with a page that says why; nothing is stored then.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from alize.actions import Action
from alize.links import LinkRefusal, LinkRefused, link_check, link_open
from alize.tenancy import public_door_scope
from alize.web import ScopedDetailView, ServiceCall

from .. import selectors, services
from ..forms import FollowUpCorrectionForm, FollowUpDeclarationForm
from ..models import DeclarationStatus

PUBLIC_HEADERS = {
    # The token is the credential: never cached, never sent to another site as a referrer
    # (same-origin: the form's own POST keeps its Origin for the CSRF check), never indexed.
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex, nofollow",
}


def _public(response):
    for header, value in PUBLIC_HEADERS.items():
        response[header] = value
    return response


class FollowUpDeclareView(View):
    """The SME's page behind its signed link: the year asked, a form with its headcount,
    jobs created and maintained and turnover; sending it uses the link."""

    http_method_names = ["get", "post"]

    def dispatch(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        try:
            link = link_open(services.FOLLOW_UP_LINK_PURPOSE, kwargs["token"])
            with public_door_scope(link.dispositif_id, door="an SME declares its jobs follow-up"):
                return _public(self.answer(request, link))
        except LinkRefused as refusal:
            return _public(self.refused(request, refusal.message, status=refusal.status))

    def answer(self, request, link):
        link_check(link)
        declaration = selectors.follow_up_declaration_by_link(link)
        if declaration is None:
            raise LinkRefused(LinkRefusal.INVALID)
        with ServiceCall() as closed:
            services.follow_up_declaration_open(declaration)
        if closed.refused:
            return self.refused(request, closed.message, status=410)
        form = FollowUpDeclarationForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            with ServiceCall(form) as call:
                services.follow_up_declaration_submit(
                    link=link, **form.figures(), comment=form.cleaned_data["comment"]
                )
            if not call.refused:
                return render(
                    request,
                    "pme/follow_up_declared.html",
                    {"title": _("Merci, votre suivi est transmis"), "declaration": declaration},
                )
        return render(
            request,
            "pme/follow_up_declare.html",
            {
                "title": _("Le suivi de votre projet"),
                "declaration": declaration,
                "form": form,
            },
            status=400 if form.is_bound else 200,
        )

    def refused(self, request, message: str, *, status: int):
        return render(
            request,
            "pme/follow_up_link_refused.html",
            {"title": _("Ce lien ne s'ouvre pas"), "message": message},
            status=status,
        )


class FollowUpDeclarationView(ScopedDetailView):
    """An SME's declaration, for the animateur of its dispositif: the figures as declared,
    and the two ways to review them (validate, or correct with the right ones); once
    reviewed, both the SME's figures and the recorded ones, with who and when."""

    action = Action.MANAGE
    template_name = "pme/follow_up_declaration.html"
    context_object_name = "declaration"

    def get_queryset(self):
        return selectors.follow_up_declaration_for_review(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        declaration = self.object
        pending = declaration.status == DeclarationStatus.DECLARED
        context.update(
            title=_("Suivi déclaré par %(company)s")
            % {"company": declaration.project.company.name},
            pending=pending,
        )
        if pending:
            context.setdefault(
                "correction_form",
                FollowUpCorrectionForm(
                    initial={**declaration.figures, "source": "verified"},
                ),
            )
        return context


class DeclarationReviewMixin:
    """POST-only review actions (another dispositif's declaration: 404)."""

    http_method_names = ["post"]

    def reviewed(self, declaration, message: str):
        messages.success(self.request, message)
        return redirect(reverse("pme:project-detail", args=[declaration.project_id]) + "#suivi")

    def refused(self, **forms_in_error):
        self.object.refresh_from_db()
        context = self.get_context_data(object=self.object, **forms_in_error)
        return self.render_to_response(context, status=400)


class FollowUpDeclarationValidateView(DeclarationReviewMixin, FollowUpDeclarationView):
    """Validate the SME's figures as declared: they become the year's follow-up."""

    def post(self, request, *args, **kwargs):
        self.object = declaration = self.get_object()
        with ServiceCall() as call:
            services.follow_up_declaration_validate(declaration=declaration, by=request.user)
        if call.refused:
            messages.error(request, call.message)
            return self.refused()
        return self.reviewed(
            declaration,
            _("Suivi de l'année %(year)s validé tel que déclaré par la PME.")
            % {"year": declaration.year},
        )


class FollowUpDeclarationCorrectView(DeclarationReviewMixin, FollowUpDeclarationView):
    """Correct the SME's figures: the right ones become the year's follow-up, the SME's
    stay on its declaration."""

    def post(self, request, *args, **kwargs):
        self.object = declaration = self.get_object()
        form = FollowUpCorrectionForm(request.POST)
        if form.is_valid():
            with ServiceCall(form) as call:
                services.follow_up_declaration_correct(
                    declaration=declaration,
                    by=request.user,
                    **form.figures(),
                    source=form.cleaned_data["source"],
                    note=form.cleaned_data["note"],
                )
            if not call.refused:
                return self.reviewed(
                    declaration,
                    _(
                        "Suivi de l'année %(year)s corrigé ; les chiffres déclarés "
                        "par la PME restent visibles."
                    )
                    % {"year": declaration.year},
                )
        return self.refused(correction_form=form)
