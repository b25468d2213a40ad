"""Core models of the project package: the record of failed background jobs."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alize.tenancy import global_model


@global_model(
    "Written by the job base after a job's transaction rolled back, possibly outside any "
    "scope; read only by the national coordination."
)
class JobFailure(models.Model):
    """A background job that failed for one dispositif (or for the platform as a whole).

    Global on purpose: written by the job base after the job's own transaction rolled back,
    and read only by the national coordination (home panel and admin).
    """

    task_name = models.CharField(_("tâche"), max_length=200)
    task_id = models.CharField(_("identifiant de la tâche"), max_length=64, blank=True)
    dispositif_id = models.PositiveIntegerField(
        _("dispositif (identifiant)"), null=True, blank=True
    )
    dispositif_name = models.CharField(_("dispositif"), max_length=200, blank=True)
    error = models.TextField(_("erreur"))
    details = models.TextField(_("détails"), blank=True)
    failed_at = models.DateTimeField(_("échouée le"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("échec de tâche")
        verbose_name_plural = _("échecs de tâches")
        ordering = ["-failed_at", "-id"]

    def __str__(self):
        return f"{self.task_name} ({self.dispositif_name or '-'}, {self.failed_at:%Y-%m-%d %H:%M})"
