"""Bank statements of a fund: their list with the import form, a statement's lines for
review (confirm one by one or every high-confidence proposal), the queue of lines still to
match (match by hand with the advance's reference, or dismiss with a reason) and the
fund's CSV columns. Everything here is the work of those who record repayments
(``RECORD_REPAYMENT``); a fund, statement or line outside their reach answers 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from alize.actions import Action
from alize.errors import ApplicationError
from alize.web import ActionRequiredMixin, FilteredListView, ServiceCall

from .. import services, statement_runner
from .. import statement_selectors as selectors
from ..forms import (
    ColumnMappingForm,
    StatementImportForm,
    StatementLineConfirmForm,
    StatementLineDismissForm,
)
from ..list_filters import StatementLineFilterSet
from ..models import OPEN_STATES
from ..services.statements import MAPPING_FIELDS

ACTION = Action.RECORD_REPAYMENT
LINES_PER_PAGE = 100


def _fund(request, pk):
    return get_object_or_404(selectors.statement_funds(request.user), pk=pk)


def render_statements(request, fund, *, form=None, status=200):
    context = {
        "title": _("Relevés bancaires — %(fund)s") % {"fund": fund.name},
        "fund": fund,
        "statements": selectors.fund_statements(fund)[:50],
        "form": form or StatementImportForm(),
        "has_mapping": selectors.column_mapping(fund) is not None,
    }
    return render(request, "loans/statement_list.html", context, status=status)


class FundStatementsView(ActionRequiredMixin, View):
    """A fund's statements, most recent first, and the import of a new one."""

    action = ACTION

    def get(self, request, pk):
        return render_statements(request, _fund(request, pk))

    def post(self, request, pk):
        fund = _fund(request, pk)
        form = StatementImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            with ServiceCall(form) as call:
                statement, created = services.statement_import(
                    fund=fund,
                    content=upload.read(),
                    source_format=form.cleaned_data["source_format"],
                    file_name=upload.name,
                    idempotency_key=form.cleaned_data["idempotency_key"],
                    by=request.user,
                )
            if not call.refused:
                known = statement.line_count - statement.new_line_count
                message = ngettext(
                    "%(count)d ligne importée",
                    "%(count)d lignes importées",
                    statement.new_line_count,
                ) % {"count": statement.new_line_count}
                if known:
                    message += ngettext(
                        ", %(count)d déjà importée",
                        ", %(count)d déjà importées",
                        known,
                    ) % {"count": known}
                if not created:
                    message = _("Ce relevé était déjà importé (envoi en double).")
                messages.success(request, message + ".")
                return HttpResponseRedirect(reverse("loans:statement-detail", args=[statement.pk]))
        return render_statements(request, fund, form=form, status=400)


class StatementDetailView(ActionRequiredMixin, View):
    """A statement's lines with their proposal and confidence, and the decisions."""

    action = ACTION

    def get(self, request, pk):
        statement = get_object_or_404(selectors.statements(request.user), pk=pk)
        paginator = Paginator(selectors.statement_lines(statement), LINES_PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        context = {
            "title": _("Relevé du %(start)s au %(end)s")
            % {"start": statement.period_start, "end": statement.period_end},
            "statement": statement,
            "fund": statement.fund,
            "lines": page.object_list,
            "page_obj": page,
            "paginator": paginator,
            "is_paginated": page.has_other_pages(),
            "open_states": OPEN_STATES,
            "high_count": selectors.high_confidence_count(statement),
            "back": "statement",
        }
        return render(request, "loans/statement_detail.html", context)


class StatementConfirmHighView(ActionRequiredMixin, View):
    """Record every high-confidence proposal of a statement in the background (POST only);
    the statement's page shows the run's progress."""

    action = ACTION
    http_method_names = ["post"]

    def post(self, request, pk):
        statement = get_object_or_404(selectors.statements(request.user), pk=pk)
        started = False
        with ServiceCall() as call:
            statement, started = statement_runner.statement_confirm_high_request(
                statement=statement, by=request.user
            )
        if call.refused:
            messages.error(request, call.message)
        elif started:
            messages.success(
                request,
                _("L'enregistrement des %(count)d lignes est lancé ; suivez-le ci-dessous.")
                % {"count": statement.confirm_total},
            )
        else:
            messages.info(request, _("L'enregistrement est déjà en cours."))
        target = reverse("loans:statement-detail", args=[statement.pk])
        return HttpResponseRedirect(f"{target}#enregistrement")


class _LineDecisionView(ActionRequiredMixin, View):
    action = ACTION
    http_method_names = ["post"]
    form_class: type = StatementLineConfirmForm
    success_message = ""

    def post(self, request, pk):
        line = get_object_or_404(selectors.statement_line_rows(request.user), pk=pk)
        form = self.form_class(request.POST, prefix=f"line-{line.pk}")
        if form.is_valid():
            with ServiceCall(form) as call:
                self.perform(line, form)
            if not call.refused:
                messages.success(request, self.success_message)
            else:
                messages.error(request, call.message)
        else:
            messages.error(
                request, " ".join(str(error) for errors in form.errors.values() for error in errors)
            )
        if request.POST.get("back") == "queue":
            target = reverse("loans:statement-queue", args=[line.fund_id])
        else:
            target = reverse("loans:statement-detail", args=[line.statement_id])
        return HttpResponseRedirect(f"{target}#line-{line.pk}")

    def perform(self, line, form):
        raise NotImplementedError


class StatementLineConfirmView(_LineDecisionView):
    """Record a line: a credit as a repayment, a return as the reversal of its repayment."""

    form_class = StatementLineConfirmForm
    success_message = gettext_lazy("La ligne est enregistrée.")

    def perform(self, line, form):
        reference = form.cleaned_data["advance"]
        advance = None
        if reference:
            advance = selectors.fund_advance_by_reference(line.fund, reference)
            if advance is None:
                raise ApplicationError(
                    _("Aucune avance de ce fonds n'a la référence « %(reference)s ».")
                    % {"reference": reference},
                    field="advance",
                )
        services.statement_line_confirm(line=line, advance=advance, by=self.request.user)


class StatementLineDismissView(_LineDecisionView):
    form_class = StatementLineDismissForm
    success_message = gettext_lazy("La ligne est écartée.")

    def perform(self, line, form):
        services.statement_line_dismiss(
            line=line, reason=form.cleaned_data["reason"], by=self.request.user
        )


class StatementQueueView(FilteredListView):
    """A fund's lines still to decide on (by default), with filters and pagination."""

    action = ACTION
    template_name = "loans/statement_queue.html"
    filterset_class = StatementLineFilterSet
    sort_fields = {"date": "booking_date", "amount": "amount", "name": "counterparty_name"}
    default_sort = "date"

    def get_base_queryset(self):
        self.fund = _fund(self.request, self.kwargs["pk"])
        lines = selectors.fund_queue(self.fund)
        if self.request.GET.get("state"):
            lines = selectors.statement_line_rows(self.request.user).filter(fund=self.fund)
        return lines

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=_("Lignes à rapprocher — %(fund)s") % {"fund": self.fund.name},
            fund=self.fund,
            open_states=OPEN_STATES,
            back="queue",
        )
        return context


class ColumnMappingView(ActionRequiredMixin, View):
    """Which columns of the fund's CSV statements hold what, and how they are written."""

    action = ACTION

    def get(self, request, pk):
        fund = _fund(request, pk)
        mapping = selectors.column_mapping(fund)
        initial = (
            {name: getattr(mapping, name) for name in MAPPING_FIELDS}
            if mapping
            else {"separator": ";", "decimal_comma": True, "date_format": "%d/%m/%Y"}
        )
        return self.page(request, fund, ColumnMappingForm(initial=initial))

    def post(self, request, pk):
        fund = _fund(request, pk)
        form = ColumnMappingForm(request.POST)
        if form.is_valid():
            with ServiceCall(form) as call:
                services.column_mapping_save(fund=fund, by=request.user, **form.cleaned_data)
            if not call.refused:
                messages.success(request, _("Les colonnes des relevés CSV sont enregistrées."))
                return HttpResponseRedirect(reverse("loans:fund-statements", args=[fund.pk]))
        return self.page(request, fund, form, status=400)

    def page(self, request, fund, form, status=200):
        context = {
            "title": _("Colonnes des relevés CSV — %(fund)s") % {"fund": fund.name},
            "fund": fund,
            "form": form,
        }
        return render(request, "loans/statement_columns.html", context, status=status)
