"""Provisioning rates of a fund: the share of an advance's outstanding principal set aside
against its loss, by how many days its oldest unpaid instalment is past due."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alize.tenancy import TenantModel

from .funds import Fund

# What a fund that has not set its own rates provisions: nothing while an advance is
# current, then 10 % from 30 days past due, 50 % from 90 days, all of it from 180 days.
DEFAULT_PROVISION_RATES: tuple[tuple[int, Decimal], ...] = (
    (0, Decimal("0.00")),
    (30, Decimal("10.00")),
    (90, Decimal("50.00")),
    (180, Decimal("100.00")),
)
# Ten years past due: a longer bucket would never apply to a programme's advances.
MAX_DAYS_PAST_DUE = 3650


class ProvisionRate(TenantModel):
    """One bucket of a fund's provisioning table: from ``min_days_past_due`` days past due
    (until the next bucket), ``rate`` % of the advance's outstanding principal is provisioned.
    Written by ``loans.services.provision_rates_set`` (rates rise with the days, the first
    bucket starts at 0); a fund without rows uses ``DEFAULT_PROVISION_RATES``."""

    fund = models.ForeignKey(
        Fund, on_delete=models.CASCADE, related_name="provision_rates", verbose_name=_("fonds")
    )
    min_days_past_due = models.PositiveSmallIntegerField(
        _("à partir de (jours de retard)"), validators=[MaxValueValidator(MAX_DAYS_PAST_DUE)]
    )
    rate = models.DecimalField(
        _("taux de provision (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )

    class Meta:
        verbose_name = _("taux de provision")
        verbose_name_plural = _("taux de provision")
        ordering = ["fund", "min_days_past_due"]
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "min_days_past_due"],
                name="provision_rate_one_per_fund_and_days",
                violation_error_message=_("Ce fonds a déjà un palier pour ce retard."),
            ),
            models.CheckConstraint(
                name="provision_rate_between_0_and_100",
                condition=Q(rate__gte=0) & Q(rate__lte=100),
                violation_error_message=_("Un taux de provision va de 0 à 100 %."),
            ),
        ]

    def __str__(self):
        return f"{self.fund_id} ≥ {self.min_days_past_due} j : {self.rate} %"
