from django.urls import path

from . import views

app_name = "pme"

urlpatterns = [
    path("entreprises/", views.CompanyListView.as_view(), name="company-list"),
    path("entreprises/nouvelle/", views.CompanyCreateView.as_view(), name="company-create"),
    path("entreprises/import/", views.CompanyImportView.as_view(), name="company-import"),
    path(
        "entreprises/import/confirmer/",
        views.CompanyImportConfirmView.as_view(),
        name="company-import-confirm",
    ),
    path(
        "entreprises/import/modele.csv",
        views.CompanyImportTemplateView.as_view(),
        name="company-import-template",
    ),
    path("entreprises/<int:pk>/", views.CompanyDetailView.as_view(), name="company-detail"),
    path(
        "entreprises/<int:pk>/modifier/",
        views.CompanyUpdateView.as_view(),
        name="company-update",
    ),
    path(
        "entreprises/<int:pk>/derogation/",
        views.CompanyExceptionView.as_view(),
        name="company-exception",
    ),
    path("projets/", views.ProjectListView.as_view(), name="project-list"),
    path("projets/nouveau/", views.ProjectCreateView.as_view(), name="project-create"),
    path("projets/<int:pk>/", views.ProjectDetailView.as_view(), name="project-detail"),
    path("projets/<int:pk>/modifier/", views.ProjectUpdateView.as_view(), name="project-update"),
    path(
        "projets/<int:pk>/etape/", views.ProjectTransitionView.as_view(), name="project-transition"
    ),
    path("projets/<int:pk>/suivi/", views.ProjectFollowUpView.as_view(), name="project-follow-up"),
    path("suivis/", views.FollowUpListView.as_view(), name="follow-up-list"),
    path(
        "suivis/declarations/<int:pk>/",
        views.FollowUpDeclarationView.as_view(),
        name="follow-up-declaration",
    ),
    path(
        "suivis/declarations/<int:pk>/valider/",
        views.FollowUpDeclarationValidateView.as_view(),
        name="follow-up-declaration-validate",
    ),
    path(
        "suivis/declarations/<int:pk>/corriger/",
        views.FollowUpDeclarationCorrectView.as_view(),
        name="follow-up-declaration-correct",
    ),
    # The SME's signed link (no account: pme.views.follow_up_declarations).
    path(
        "suivi/declarer/<str:token>/", views.FollowUpDeclareView.as_view(), name="follow-up-declare"
    ),
    path("entonnoir/", views.FunnelView.as_view(), name="funnel"),
]
