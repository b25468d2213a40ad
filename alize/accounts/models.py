"""Users log in by e-mail; what they may see comes only from their role assignments."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from alize.geo import REGIONS
from alize.tenancy import global_model

if TYPE_CHECKING:  # managers are generic for the type checker only
    _UserManagerBase = BaseUserManager["User"]
else:
    _UserManagerBase = BaseUserManager


class UserManager(_UserManagerBase):
    """Creates users keyed by a normalised e-mail address."""

    use_in_migrations = True

    def _create(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


@global_model("People log in once and may hold roles in several dispositifs.")
class User(AbstractBaseUser, PermissionsMixin):
    """A person (or an API client) who logs in with an e-mail address. Global, not scoped."""

    email = models.EmailField(_("adresse e-mail"), unique=True)
    full_name = models.CharField(_("nom complet"), max_length=200, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    is_staff = models.BooleanField(_("accès à l'administration"), default=False)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)
    # The language of the e-mails the platform sends this person; the language switch of
    # a signed-in user stores the choice here too.
    language = models.CharField(_("langue"), max_length=8, choices=settings.LANGUAGES, default="fr")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["email"]

    def __str__(self):
        return self.full_name or self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(models.TextChoices):
    NATIONAL_COORDINATOR = "coordinator", _("Coordination nationale")
    ANIMATEUR = "animateur", _("Animateur")
    COMMITTEE_MEMBER = "committee_member", _("Membre de comité")
    FIRM_CORRESPONDENT = "firm_correspondent", _("Correspondant d'entreprise")
    EXPERT = "expert", _("Expert")
    API_CLIENT = "api_client", _("Client API")


@global_model("Role assignments are what the access policy reads to derive every scope.")
class RoleAssignment(models.Model):
    """One role held by a user, with the scope that role carries (dispositif, organisation
    or region). Access rules read these rows; no name is hard-coded anywhere. Every change
    is kept in its history (who, when)."""

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("utilisateur"),
    )
    role = models.CharField(_("rôle"), max_length=32, choices=Role.choices)
    dispositif = models.ForeignKey(
        "dispositifs.Dispositif",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dispositif"),
    )
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("organisation"),
    )
    region = models.CharField(_("région"), max_length=3, choices=REGIONS, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    # Who gave or withdrew a role, and when (the admin shows it; docs/personal-data.md).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attribution de rôle")
        verbose_name_plural = _("attributions de rôle")
        constraints = [
            models.CheckConstraint(
                name="role_scope_matches_role",
                condition=(
                    Q(
                        role="coordinator",
                        dispositif__isnull=True,
                        organisation__isnull=True,
                        region="",
                    )
                    | Q(role="animateur", dispositif__isnull=False, organisation__isnull=True)
                    | Q(
                        role="committee_member",
                        dispositif__isnull=False,
                        organisation__isnull=False,
                    )
                    | Q(
                        role="firm_correspondent",
                        dispositif__isnull=True,
                        organisation__isnull=False,
                    )
                    | Q(role="expert", dispositif__isnull=True, organisation__isnull=False)
                    | Q(role="api_client", dispositif__isnull=True, organisation__isnull=True)
                    & ~Q(region="")
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "dispositif", "organisation", "region"],
                name="role_assignment_unique",
                nulls_distinct=False,
            ),
        ]

    def __str__(self):
        target = (
            self.dispositif_id and self.dispositif or self.organisation or self.get_region_display()
        )
        return f"{self.user} — {self.get_role_display()}" + (f" ({target})" if target else "")


global_model(
    "The history of role assignments is global like the assignments: who gave or withdrew "
    "a role, read by the national coordination in the admin."
)(RoleAssignment.history.model)


@global_model("Login failures concern an address and an IP, before any scope exists.")
class LoginFailure(models.Model):
    """A failed login with its client address: repeated failures lock the (address, IP)
    pair, and many failures from one IP delay that IP's further failures (never its valid
    logins). Purged daily once old. Global."""

    class Step(models.TextChoices):
        PASSWORD = "password", _("mot de passe")
        SECOND_FACTOR = "second_factor", _("second facteur")

    email = models.CharField(max_length=254, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # Which step failed: the password (address and IP), or the code of the second factor.
    step = models.CharField(max_length=16, choices=Step.choices, default=Step.PASSWORD)

    class Meta:
        verbose_name = _("échec de connexion")
        verbose_name_plural = _("échecs de connexion")
        indexes = [models.Index(fields=["ip", "at"], name="login_failure_ip_at")]

    def __str__(self):
        return f"{self.email} ({self.at:%Y-%m-%d %H:%M})"


@global_model("Recovery codes belong to a person's sign-in, before any scope exists.")
class RecoveryCode(models.Model):
    """A single-use code that stands in for the TOTP device at one sign-in (a lost phone).
    Only a keyed hash of the code is stored; ``used_at`` is set once it served. A new set
    replaces the old one."""

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="recovery_codes",
        verbose_name=_("utilisateur"),
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("code de secours")
        verbose_name_plural = _("codes de secours")
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique")
        ]

    def __str__(self):
        return f"{self.user} ({self.created_at:%Y-%m-%d})"
