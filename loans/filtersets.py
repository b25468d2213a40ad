"""FilterSets of the loans browser lists (advances, arrears, co-financing). Choice
querysets go through scoped managers narrowed by the access policy, so a dispositif or a
fund outside the caller's reach is an invalid choice, never a leak."""

import django_filters
from django import forms
from django.db.models import DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.filters import PeriodFilter, SearchFilterSet
from pme.filtersets import OneDispositifHiddenMixin, dispositif_choices

from .models import (
    LIVE_STATUSES,
    ZERO,
    Account,
    Advance,
    AdvanceStatus,
    Cofinancing,
    CofinancingKind,
    EntryKind,
    Frequency,
    Fund,
    LedgerLine,
)
from .services.arrears import PAR_DAYS

AMOUNT = DecimalField(max_digits=14, decimal_places=2)


def _principal(condition: Q, *, credit: bool = False):
    """A subquery: the outer advance's principal lines (LOANS account) matching
    ``condition``, debits − credits (credits − debits with ``credit``)."""
    lines = LedgerLine.objects.filter(
        condition, advance=OuterRef("pk"), account=Account.LOANS
    ).order_by()
    amount = F("credit") - F("debit") if credit else F("debit") - F("credit")
    total = lines.values("advance").annotate(total=Sum(amount)).values("total")
    return lines, Coalesce(Subquery(total, output_field=AMOUNT), Value(ZERO), output_field=AMOUNT)


def fund_choices(request):
    """The funds the user may read (none without a request)."""
    user = getattr(request, "user", None)
    return Fund.objects.for_user(user, Action.VIEW_ADVANCE).order_by("name")


class AdvanceFilterSet(OneDispositifHiddenMixin, SearchFilterSet):
    """Advances: search on the project and company, by dispositif, fund, status,
    frequency, and those at least N days past due."""

    search_fields = ("project__title", "project__company__name", "project__company__siren")

    dispositif = django_filters.ModelChoiceFilter(
        queryset=dispositif_choices(Action.VIEW_ADVANCE),
        to_field_name="slug",
        label=_("Dispositif"),
    )
    fund = django_filters.ModelChoiceFilter(queryset=fund_choices, label=_("Fonds"))
    status = django_filters.ChoiceFilter(choices=AdvanceStatus.choices, label=_("Statut"))
    frequency = django_filters.ChoiceFilter(choices=Frequency.choices, label=_("Périodicité"))
    min_days_past_due = django_filters.NumberFilter(
        field_name="days_past_due", lookup_expr="gte", label=_("Jours de retard (au moins)")
    )
    # Behind the loans' figures (loans.indicators, same definitions). Each narrows the
    # advances and annotates ``period_amount``, the amount the figure adds up for the row.
    granted_in = PeriodFilter(method="filter_granted_in", label=_("Accordées en"))
    disbursed_in = PeriodFilter(method="filter_disbursed_in", label=_("Décaissées en"))
    outstanding_at = PeriodFilter(method="filter_outstanding_at", label=_("Encours à la fin de"))
    repaid_in = PeriodFilter(method="filter_repaid_in", label=_("Remboursements en"))
    written_off_in = PeriodFilter(method="filter_written_off_in", label=_("Pertes en"))
    par30 = django_filters.ChoiceFilter(
        choices=[("1", _("Oui"))],
        method="filter_par30",
        widget=forms.HiddenInput,
        label=_("Encours à risque > 30 jours"),
    )

    class Meta:
        model = Advance
        fields = [
            "q",
            "dispositif",
            "fund",
            "status",
            "frequency",
            "min_days_past_due",
            "granted_in",
            "disbursed_in",
            "outstanding_at",
            "repaid_in",
            "written_off_in",
            "par30",
        ]

    dispositif_action = Action.VIEW_ADVANCE

    # The amount column each drill filter shows, in the order they take precedence.
    AMOUNT_LABELS = {
        "granted_in": _("Montant accordé"),
        "disbursed_in": _("Décaissé dans la période"),
        "outstanding_at": _("Encours à la fin de la période"),
        "repaid_in": _("Remboursé dans la période"),
        "written_off_in": _("Passé en perte dans la période"),
        "par30": _("Encours à risque"),
    }

    def amount_column(self) -> tuple[str, str] | None:
        """(filter name, label) of the drill filter whose amounts the list shows."""
        if not self.is_bound or not self.is_valid():
            return None
        for name, label in self.AMOUNT_LABELS.items():
            if self.form.cleaned_data.get(name):
                return name, str(label)
        return None

    def _with_amount(self, queryset, amount):
        if "period_amount" in queryset.query.annotations:
            return queryset
        return queryset.annotate(period_amount=amount)

    def filter_granted_in(self, queryset, name, value):
        """Granted in the period: the date of the committee that granted the advance, else
        the day it was recorded."""
        if value is None:
            return queryset
        granted_on = Coalesce(
            F("decision__item__committee__date"), TruncDate("created_at"), output_field=None
        )
        queryset = queryset.alias(granted_on=granted_on).filter(
            granted_on__range=(value.start, value.end)
        )
        return self._with_amount(queryset, F("amount"))

    def filter_disbursed_in(self, queryset, name, value):
        """Disbursed in the period (the advance's date of disbursement), with the principal
        the ledger's disbursement lines of the period carry."""
        if value is None:
            return queryset
        period = Q(kind=EntryKind.DISBURSEMENT, occurred_on__range=(value.start, value.end))
        _lines, amount = _principal(period)
        queryset = queryset.filter(disbursed_on__range=(value.start, value.end))
        return self._with_amount(queryset, amount)

    def filter_outstanding_at(self, queryset, name, value):
        """Principal still owed at the period's end (today for the period under way): the
        advances whose ledger lines dated on or before it leave a balance."""
        if value is None:
            return queryset
        end = value.stock_end()
        if end is None:
            return queryset.none()
        _lines, amount = _principal(Q(occurred_on__lte=end))
        queryset = queryset.alias(balance_at_end=amount).exclude(balance_at_end=0)
        return self._with_amount(queryset, amount)

    def _lines_in(self, queryset, value, kinds):
        if value is None:
            return queryset
        period = Q(kind__in=kinds, occurred_on__range=(value.start, value.end))
        lines, amount = _principal(period, credit=True)
        return self._with_amount(queryset.filter(Exists(lines)), amount)

    def filter_repaid_in(self, queryset, name, value):
        """Repayments (net of their reversals) dated in the period."""
        return self._lines_in(queryset, value, (EntryKind.REPAYMENT, EntryKind.REVERSAL))

    def filter_written_off_in(self, queryset, name, value):
        """Write-offs dated in the period."""
        return self._lines_in(queryset, value, (EntryKind.WRITE_OFF,))

    def filter_par30(self, queryset, name, value):
        """Live advances with an instalment more than 30 days late at the last arrears run,
        with their outstanding principal (what PAR30's numerator adds up)."""
        if not value:
            return queryset
        _lines, amount = _principal(Q())
        queryset = queryset.filter(status__in=LIVE_STATUSES, days_past_due__gt=PAR_DAYS)
        return self._with_amount(queryset, amount)


class CofinancingFilterSet(OneDispositifHiddenMixin, SearchFilterSet):
    search_fields = ("organisation", "project__title", "project__company__name")

    dispositif = django_filters.ModelChoiceFilter(
        queryset=dispositif_choices(Action.VIEW_ADVANCE),
        to_field_name="slug",
        label=_("Dispositif"),
    )
    kind = django_filters.ChoiceFilter(choices=CofinancingKind.choices, label=_("Nature"))

    class Meta:
        model = Cofinancing
        fields = ["q", "dispositif", "kind"]

    dispositif_action = Action.VIEW_ADVANCE
