"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path

from alize import accessibility_views, health, mailbox_views, metrics
from alize.accounts import oidc
from alize.accounts import views as account_views
from alize.api.docs import PrivateSchemaView, PrivateSwaggerView

urlpatterns = [
    path("", account_views.HomeView.as_view(), name="home"),
    path("connexion/", account_views.login_view, name="login"),
    path("connexion/organisation/", oidc.OrganisationLoginView.as_view(), name="oidc_login"),
    path(
        "connexion/organisation/retour/",
        oidc.OrganisationCallbackView.as_view(),
        name="oidc_callback",
    ),
    path(
        "connexion/second-facteur/", account_views.second_factor_verify, name="second_factor_verify"
    ),
    path(
        "connexion/second-facteur/activation/",
        account_views.second_factor_enrol,
        name="second_factor_enrol",
    ),
    path("deconnexion/", account_views.LogoutView.as_view(), name="logout"),
    path(
        "mot-de-passe/",
        account_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "mot-de-passe/modifie/",
        account_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password-reset/",
        account_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        account_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password-reset/done/",
        account_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("mailbox/", mailbox_views.MailboxListView.as_view(), name="mailbox"),
    path(
        "mailbox/<str:name>/",
        mailbox_views.MailboxMessageView.as_view(),
        name="mailbox-message",
    ),
    path(
        "mailbox/<str:name>/attachments/<int:index>/",
        mailbox_views.MailboxAttachmentView.as_view(),
        name="mailbox-attachment",
    ),
    path(
        "accessibilite/",
        accessibility_views.AccessibilityStatementView.as_view(),
        name="accessibility",
    ),
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("dispositifs/", include("dispositifs.urls")),
    path("comites/", include("committees.urls")),
    path("pme/", include("pme.urls")),
    path("partenaires/", include("partners.urls")),
    path("", include("missions.urls")),
    path("", include("loans.urls")),
    path("documents/", include("reporting.urls")),
    path("indicateurs/", include("reporting.indicator_urls")),
    path("donnees-ouvertes/", include("reporting.open_data")),
    path("donnees-personnelles/", include("alize.personal_data.urls")),
    path("deposer-un-projet/", include("pme.door.urls")),
    path("api/v1/", include("alize.api.urls")),
    path("api/schema/", PrivateSchemaView.as_view(), name="api-schema"),
    path("api/docs/", PrivateSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("health/", health.health_view, name="health"),
    path("metrics/", metrics.metrics_view, name="metrics"),
]

handler404 = "alize.error_views.not_found"
handler500 = "alize.error_views.server_error"
