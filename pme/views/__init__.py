"""Browser views of the pme app: companies and their import, projects with their timeline,
committee passages, history and jobs follow-up, the follow-ups the SMEs declare through
their signed link (the one page open without an account) and the pipeline funnel.

Coordinators and the animateur of a dispositif write; committee members read the projects
(dossiers) of their dispositif. Anything else — another dispositif's row, a role without
access — answers 404. Every write goes through ``pme.services`` or ``pme.imports``.
"""

from .companies import (
    CompanyCreateView,
    CompanyDetailView,
    CompanyExceptionView,
    CompanyListView,
    CompanyUpdateView,
)
from .follow_up_declarations import (
    FollowUpDeclarationCorrectView,
    FollowUpDeclarationValidateView,
    FollowUpDeclarationView,
    FollowUpDeclareView,
)
from .follow_ups import FollowUpListView
from .funnel import FunnelView
from .importing import CompanyImportConfirmView, CompanyImportTemplateView, CompanyImportView
from .projects import (
    ProjectCreateView,
    ProjectDetailView,
    ProjectFollowUpView,
    ProjectListView,
    ProjectTransitionView,
    ProjectUpdateView,
)

__all__ = (
    "CompanyCreateView",
    "CompanyDetailView",
    "CompanyExceptionView",
    "CompanyImportConfirmView",
    "CompanyImportTemplateView",
    "CompanyImportView",
    "CompanyListView",
    "CompanyUpdateView",
    "FollowUpDeclarationCorrectView",
    "FollowUpDeclarationValidateView",
    "FollowUpDeclarationView",
    "FollowUpDeclareView",
    "FollowUpListView",
    "FunnelView",
    "ProjectCreateView",
    "ProjectDetailView",
    "ProjectFollowUpView",
    "ProjectListView",
    "ProjectTransitionView",
    "ProjectUpdateView",
)
