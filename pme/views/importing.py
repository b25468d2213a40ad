"""Import of companies from a file: upload and preview, confirm, and the file template."""

from __future__ import annotations

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import View

from alize import exports
from alize.actions import Action
from alize.web import ActionRequiredMixin

from .. import imports, selectors
from ..forms import ImportUploadForm

IMPORT_SALT = "pme.company-import"
IMPORT_MAX_AGE = 60 * 60


class CompanyImportView(ActionRequiredMixin, View):
    """Upload a file, then preview every row with its errors; nothing is saved here.

    The parsed rows travel to the confirm step signed (``django.core.signing``) and bound to
    the user and dispositif; the confirm step validates them again before saving.
    """

    action = Action.MANAGE
    template_name = "pme/company_import.html"

    def render(self, context, status=200):
        context.setdefault("title", _("Importer des entreprises"))
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        return self.render({"form": ImportUploadForm(user=request.user)})

    def post(self, request, *args, **kwargs):
        form = ImportUploadForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self.render({"form": form}, status=400)
        dispositif = form.target_dispositif()
        try:
            parsed = imports.read_company_file(form.cleaned_data["file"])
        except imports.ImportFileError as error:
            form.add_error("file", str(error))
            return self.render({"form": form}, status=400)
        preview = imports.company_import_preview(dispositif=dispositif, parsed=parsed)
        token = signing.dumps(
            {
                "u": request.user.pk,
                "d": dispositif.pk,
                "h": parsed.headers,
                "r": parsed.rows,
                "i": parsed.ignored_columns,
            },
            salt=IMPORT_SALT,
            compress=True,
        )
        return self.render(
            {
                "form": form,
                "preview": preview,
                "token": token,
                "file_name": form.cleaned_data["file"].name,
            },
            status=200 if preview.is_valid else 400,
        )


class CompanyImportConfirmView(CompanyImportView):
    """Save the previewed file: every new row in one transaction, or nothing."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = ImportUploadForm(user=request.user)
        try:
            payload = signing.loads(
                request.POST.get("token", ""), salt=IMPORT_SALT, max_age=IMPORT_MAX_AGE
            )
        except signing.BadSignature:
            expired = _("L'aperçu a expiré ou a été modifié : déposez le fichier à nouveau.")
            return self.render({"form": form, "import_error": expired}, status=400)
        if payload.get("u") != request.user.pk:
            raise Http404
        dispositif = get_object_or_404(
            selectors.managed_dispositifs(request.user), pk=payload.get("d")
        )
        parsed = imports.ParsedFile(
            headers=payload["h"],
            rows=[(line, values) for line, values in payload["r"]],
            ignored_columns=payload.get("i", []),
        )
        try:
            result = imports.company_import(dispositif=dispositif, parsed=parsed)
        except ValidationError:
            preview = imports.company_import_preview(dispositif=dispositif, parsed=parsed)
            return self.render(
                {"form": form, "preview": preview, "token": request.POST.get("token")},
                status=400,
            )
        messages.success(
            request,
            ngettext(
                "%(created)s entreprise importée",
                "%(created)s entreprises importées",
                len(result.created),
            )
            % {"created": len(result.created)}
            + ngettext(
                ", %(skipped)s déjà présente ignorée.",
                ", %(skipped)s déjà présentes ignorées.",
                len(result.skipped),
            )
            % {"skipped": len(result.skipped)},
        )
        return redirect(reverse("pme:company-list") + f"?dispositif={dispositif.slug}")


class CompanyImportTemplateView(ActionRequiredMixin, View):
    """The import template: a CSV (UTF-8 with BOM, « ; ») holding the expected headers."""

    action = Action.MANAGE

    def get(self, request, *args, **kwargs):
        return exports.csv_response(
            filename="modele-import-entreprises.csv",
            headers=list(imports.TEMPLATE_HEADERS.values()),
            rows=[],
        )
