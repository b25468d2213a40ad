"""Core models of the project package: the outbox of background jobs, the record of failed
ones, sent e-mail, idempotency records, signed single-purpose links, the abstract "recorded
by / at" pair the apps' models share, and the shape every lifecycle log shares
(``TransitionLog``)."""

import uuid
from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alize.fields import user_field
from alize.tenancy import TenantModel, global_model


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


class SentMailStatus(models.TextChoices):
    SENDING = "sending", _("en cours d'envoi")
    SENT = "sent", _("envoyé")
    FAILED = "failed", _("échec")


@global_model(
    "The idempotency record of outgoing e-mail: claimed by a key before sending, possibly "
    "by a job outside any scope; read only by the national coordination (admin)."
)
class SentMail(models.Model):
    """One e-mail the platform sent (or is sending, or failed to send), by its idempotency key.

    ``alize.mail.send_once`` claims the key (status "sending") and commits that claim
    before talking to the SMTP server, then marks the row "sent" or "failed". A row left
    "sending" means a worker stopped between the two: it is not sent again automatically
    (see ``alize.mail``) and the coordination sees it in the admin.
    """

    key = models.CharField(_("clé"), max_length=255, unique=True)
    recipient = models.CharField(_("destinataire"), max_length=254)
    template = models.CharField(_("modèle"), max_length=200)
    language = models.CharField(_("langue"), max_length=8)
    subject = models.CharField(_("objet"), max_length=255, blank=True)
    status = models.CharField(
        _("état"), max_length=16, choices=SentMailStatus.choices, default=SentMailStatus.SENDING
    )
    attempts = models.PositiveIntegerField(_("tentatives"), default=1)
    claimed_at = models.DateTimeField(_("réservé le"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    error = models.TextField(_("erreur"), blank=True)

    class Meta:
        verbose_name = _("e-mail envoyé")
        verbose_name_plural = _("e-mails envoyés")
        ordering = ["-claimed_at", "-id"]

    def __str__(self):
        return f"{self.key} → {self.recipient} ({self.get_status_display()})"


class IdempotencyRecord(TenantModel):
    """A caller-chosen key claimed for one operation in one dispositif, with the fingerprint
    of the payload it came with and the id of what it made (``alize.idempotency``).

    Written and read only by ``alize.idempotency.run_once``, completed in the transaction
    that claims it and never changed afterwards: a key stays spent even when what it made
    is deleted."""

    operation = models.CharField(_("opération"), max_length=64)
    key = models.CharField(_("clé"), max_length=128)
    fingerprint = models.CharField(_("empreinte de la demande"), max_length=64)
    result_id = models.PositiveBigIntegerField(_("résultat (identifiant)"), null=True, blank=True)
    created_at = models.DateTimeField(_("reçue le"), default=timezone.now)

    class Meta:
        verbose_name = _("clé d'idempotence")
        verbose_name_plural = _("clés d'idempotence")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispositif", "operation", "key"],
                name="idempotency_key_unique_per_operation",
            ),
        ]

    def __str__(self):
        return f"{self.operation} {self.key}"


class SignedLink(TenantModel):
    """A link sent outside the platform for one purpose (``alize.links``): the random nonce
    its signed token names, the object it opens, when it expires and when it was used.

    The token itself is never stored; a link is used once, by one conditional update of
    ``used_at``. A tenant row: it is read and used only in the scope of the dispositif the
    signed token names (``alize.tenancy.public_door_scope``)."""

    purpose = models.CharField(_("usage"), max_length=64)
    nonce = models.CharField(_("nonce"), max_length=64, unique=True)
    object_id = models.PositiveBigIntegerField(_("objet (identifiant)"))
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("lien signé")
        verbose_name_plural = _("liens signés")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.purpose} #{self.object_id}"


class RecordedBy(models.Model):
    """Who typed a row in, and when: ``recorded_by`` (kept null when the account goes) and
    ``recorded_at`` (set on insert). Other roles use ``alize.fields.user_field``."""

    recorded_by = user_field(_("saisi par"))
    recorded_at = models.DateTimeField(_("saisi le"), auto_now_add=True)

    class Meta:
        abstract = True


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("en attente")
    RUNNING = "running", _("en cours")
    DONE = "done", _("terminée")
    FAILED = "failed", _("échec")


@global_model(
    "The outbox of background jobs: written with the request that asks for a job and by the "
    "job base, possibly outside any scope; read by the sweeper and the national coordination."
)
class Job(models.Model):
    """A background job recorded in the transaction that asks for it (the outbox).

    Celery carries the job (its task id is this row's id); the row is its memory: the job
    base marks it running, keeps its heartbeat and marks it done or failed, and the sweeper
    (``alize.jobs.sweep``) sends again what a crash left queued or running. See
    docs/architecture.md §6.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_name = models.CharField(_("tâche"), max_length=200)
    args = models.JSONField(_("arguments positionnels"), default=list, blank=True)
    kwargs = models.JSONField(_("arguments"), default=dict, blank=True)
    dispositif_id = models.PositiveIntegerField(
        _("dispositif (identifiant)"), null=True, blank=True
    )
    queue = models.CharField(_("file"), max_length=100, blank=True)
    # The request that queued the job (alize/logs.py), carried into the job's log lines.
    request_id = models.CharField(_("requête d'origine"), max_length=64, blank=True)
    dedup_key = models.CharField(_("clé d'unicité"), max_length=255, null=True, unique=True)
    status = models.CharField(
        _("état"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("tentatives"), default=0)
    max_attempts = models.PositiveIntegerField(_("tentatives au plus"), default=5)
    timeout = models.DurationField(_("délai sans signe de vie"), default=timedelta(minutes=30))
    sends = models.PositiveIntegerField(_("envois"), default=1)
    created_at = models.DateTimeField(_("demandée le"), default=timezone.now)
    sent_at = models.DateTimeField(_("envoyée le"), default=timezone.now)
    started_at = models.DateTimeField(_("commencée le"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("dernier signe de vie"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finie le"), null=True, blank=True)
    last_error = models.TextField(_("dernière erreur"), blank=True)

    class Meta:
        verbose_name = _("tâche de fond")
        verbose_name_plural = _("tâches de fond")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "sent_at"], name="job_status_sent"),
        ]

    def __str__(self):
        return f"{self.task_name} ({self.get_status_display()}, {self.created_at:%Y-%m-%d %H:%M})"


class TransitionLog(models.Model):
    """One move of a row between two states: from, to, who, when and why. Append-only.

    The one shape of the lifecycle logs (``alize.lifecycle``). A concrete log adds the
    foreign key of the row that moves, the two state columns and the reason column, and names
    them in ``subject_field``, ``from_field``, ``to_field`` and ``reason_field``: each log
    keeps the column names its pages, API and admin already use."""

    subject_field: ClassVar[str]
    from_field: ClassVar[str] = "from_status"
    to_field: ClassVar[str] = "to_status"
    reason_field: ClassVar[str] = "reason"

    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )
    at = models.DateTimeField(_("le"), default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self):
        subject_id = getattr(self, f"{self.subject_field}_id")
        return f"{subject_id}: {self.from_state or '—'} → {self.to_state}"

    @property
    def from_state(self) -> str:
        """The state the row left (empty on the row's first entry)."""
        return getattr(self, self.from_field)

    @property
    def to_state(self) -> str:
        return getattr(self, self.to_field)

    @property
    def reason_text(self) -> str:
        return getattr(self, self.reason_field)

    @classmethod
    def entry(cls, subject, *, from_state: str, to_state: str, by, at, reason: str = ""):
        """An unsaved log row for a move of ``subject``; a tenant log takes its dispositif."""
        values = {
            cls.subject_field: subject,
            cls.from_field: from_state,
            cls.to_field: to_state,
            cls.reason_field: reason,
            "by": by,
            "at": at,
        }
        if issubclass(cls, TenantModel):
            values["dispositif_id"] = subject.dispositif_id
        return cls(**values)


class IndicatorFact(TenantModel):
    """One kept value of the indicators layer (``alize.indicators``): an indicator for a
    dispositif, a year and a month (0: the whole year) and, for the partner firms' figures, a
    firm (0: every firm). Rewritten whole for a dispositif by its refresh; never edited."""

    indicator = models.CharField(_("indicateur"), max_length=48)
    year = models.PositiveSmallIntegerField(_("année"))
    month = models.PositiveSmallIntegerField(_("mois"), default=0)
    # An organisation's id (a partner firm), not a foreign key: the core sits below partners.
    firm_id = models.PositiveIntegerField(_("entreprise partenaire (identifiant)"), default=0)
    value = models.DecimalField(_("valeur"), max_digits=20, decimal_places=4)
    smes = models.PositiveIntegerField(_("PME concernées"), null=True, blank=True)
    top = models.DecimalField(
        _("part de la plus grande PME"), max_digits=20, decimal_places=4, default=0
    )

    class Meta:
        verbose_name = _("indicateur calculé")
        verbose_name_plural = _("indicateurs calculés")
        constraints = [
            models.UniqueConstraint(
                fields=["dispositif", "indicator", "year", "month", "firm_id"],
                name="indicator_fact_once",
            )
        ]
        indexes = [
            models.Index(fields=["year", "month", "firm_id"], name="indicator_fact_period"),
        ]

    def __str__(self):
        return f"{self.indicator} {self.year}-{self.month:02d} = {self.value}"


class IndicatorState(TenantModel):
    """Where a dispositif's kept indicators stand: ``changed`` counts the writes that touched
    the rows behind them, ``computed`` is the count the kept facts reflect (equal: fresh)."""

    changed = models.PositiveBigIntegerField(_("modifications"), default=0)
    computed = models.PositiveBigIntegerField(_("modifications prises en compte"), default=0)
    computed_at = models.DateTimeField(_("calculés le"), null=True, blank=True)
    changed_at = models.DateTimeField(_("modifiés le"), null=True, blank=True)

    class Meta:
        verbose_name = _("état des indicateurs")
        verbose_name_plural = _("états des indicateurs")
        constraints = [
            models.UniqueConstraint(fields=["dispositif"], name="indicator_state_once"),
        ]

    @property
    def fresh(self) -> bool:
        return self.computed >= self.changed and self.computed_at is not None


class ErasureOrigin(models.TextChoices):
    REQUEST = "request", _("demande")
    RETENTION = "retention", _("durée de conservation échue")


@global_model(
    "The record of erasures of personal data across the network: written by the erasure "
    "service, read only by the national coordination."
)
class ErasureRecord(models.Model):
    """One erasure of a person's personal data (``alize.personal_data``): which kind of
    person and which id, who asked, when, why and how many rows were rewritten. Never the
    erased name or address, which is what was erased."""

    kind = models.CharField(_("type de personne"), max_length=32)
    person_id = models.PositiveBigIntegerField(_("identifiant de la personne"))
    origin = models.CharField(
        _("origine"), max_length=16, choices=ErasureOrigin.choices, default=ErasureOrigin.REQUEST
    )
    by = user_field(_("effacé par"))
    at = models.DateTimeField(_("effacé le"), default=timezone.now, db_index=True)
    reason = models.TextField(_("motif"))
    rows = models.PositiveIntegerField(_("lignes réécrites"), default=0)

    class Meta:
        verbose_name = _("effacement de données personnelles")
        verbose_name_plural = _("effacements de données personnelles")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "person_id"], name="erasure_person")]

    def __str__(self):
        return f"{self.kind} #{self.person_id} ({self.at:%Y-%m-%d})"


@global_model(
    "What one run of the retention job did, for the directory or one dispositif: written by "
    "the job, read only by the national coordination."
)
class RetentionReport(models.Model):
    """One run of the retention job (``alize.personal_data.retention``) over the directory
    (``dispositif_id`` empty: experts and users) or one dispositif (its SME contacts): the
    cut-off it applied and how many persons of each kind it erased (``{kind: count}``)."""

    dispositif_id = models.PositiveIntegerField(
        _("dispositif (identifiant)"), null=True, blank=True
    )
    dispositif_name = models.CharField(_("dispositif"), max_length=200, blank=True)
    ran_at = models.DateTimeField(_("exécuté le"), default=timezone.now, db_index=True)
    years = models.PositiveSmallIntegerField(_("durée de conservation (années)"))
    cutoff = models.DateField(_("inactifs depuis le"))
    counts = models.JSONField(_("personnes effacées, par type"), default=dict, blank=True)

    class Meta:
        verbose_name = _("passage de la durée de conservation")
        verbose_name_plural = _("passages de la durée de conservation")
        ordering = ["-ran_at", "-id"]

    def __str__(self):
        return f"{self.dispositif_name or '-'} ({self.ran_at:%Y-%m-%d %H:%M})"

    @property
    def total(self) -> int:
        return sum(self.counts.values())
