"""The portfolio at risk of a fund on a day, written by the daily arrears job."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from alize.fields import MoneyField
from alize.tenancy import TenantModel

from .funds import Fund


class PortfolioSnapshot(TenantModel):
    """A fund's portfolio at risk on a day, written by the daily arrears job: outstanding
    principal, and the part of it in advances with an instalment over 30 days overdue."""

    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="snapshots", verbose_name=_("fonds")
    )
    as_of = models.DateField(_("au"))
    outstanding = MoneyField(_("encours (€)"))
    at_risk_30 = MoneyField(_("encours à risque > 30 jours (€)"))
    advances_in_arrears = models.PositiveIntegerField(_("avances en retard"), default=0)
    computed_at = models.DateTimeField(_("calculé le"), auto_now=True)

    class Meta:
        verbose_name = _("portefeuille à risque")
        verbose_name_plural = _("portefeuilles à risque")
        ordering = ["fund", "-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "as_of"], name="snapshot_one_per_fund_day"),
        ]

    def __str__(self):
        return f"{self.fund} {self.as_of}"

    @property
    def par30(self) -> Decimal | None:
        """PAR30 as a fraction (0.1234 = 12.34 %), or None when nothing is outstanding."""
        if not self.outstanding:
            return None
        return (self.at_risk_30 / self.outstanding).quantize(Decimal("0.0001"))
