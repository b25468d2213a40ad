"""Committee pages (the tour de table), mounted at /comites/."""

from django.urls import path

from . import views

app_name = "committees"

urlpatterns = [
    path("", views.CommitteeListView.as_view(), name="list"),
    path("planifier/", views.CommitteeCreateView.as_view(), name="create"),
    path("enregistrer-passe/", views.CommitteeRecordPastView.as_view(), name="record-past"),
    path("<int:pk>/", views.CommitteeDetailView.as_view(), name="detail"),
    path("<int:pk>/invitation.ics", views.CommitteeInvitationView.as_view(), name="invitation"),
    path("mon-agenda/", views.CalendarFeedPageView.as_view(), name="calendar"),
    path("mon-agenda/<str:token>/", views.CalendarFeedView.as_view(), name="calendar-feed"),
    path("<int:pk>/modifier/", views.CommitteeUpdateView.as_view(), name="update"),
    path("<int:pk>/statut/", views.CommitteeStatusView.as_view(), name="set-status"),
    path("<int:pk>/ordre-du-jour/", views.AgendaAddView.as_view(), name="agenda-add"),
    path("<int:pk>/presences/", views.AttendanceView.as_view(), name="attendance"),
    path("<int:pk>/reponse/", views.ReplyView.as_view(), name="reply"),
    path("dossiers/<int:pk>/notes/", views.ScoreView.as_view(), name="score"),
    path("grille/<int:pk>/", views.CriteriaView.as_view(), name="criteria"),
    path(
        "criteres/<int:pk>/modifier/",
        views.CriterionUpdateView.as_view(),
        name="criterion-update",
    ),
    path(
        "criteres/<int:pk>/supprimer/",
        views.CriterionDeleteView.as_view(),
        name="criterion-delete",
    ),
    path("dossiers/<int:pk>/interet/", views.InterestDeclareView.as_view(), name="interest"),
    path("dossiers/<int:pk>/retirer/", views.AgendaRemoveView.as_view(), name="agenda-remove"),
    path("dossiers/<int:pk>/deplacer/", views.AgendaMoveView.as_view(), name="agenda-move"),
    path(
        "dossiers/<int:pk>/engagements/", views.CommitmentAddView.as_view(), name="commitment-add"
    ),
    path("dossiers/<int:pk>/decision/", views.DecisionView.as_view(), name="decision"),
    path(
        "dossiers/<int:pk>/decision/corriger/",
        views.DecisionCorrectView.as_view(),
        name="decision-correct",
    ),
    path("dossiers/<int:pk>/outils/", views.UsualToolsView.as_view(), name="usual-tools"),
    path(
        "engagements/<int:pk>/supprimer/",
        views.CommitmentDeleteView.as_view(),
        name="commitment-delete",
    ),
]
