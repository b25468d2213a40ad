"""Open data (docs/open-data.md): the yearly file of each dispositif's public indicators,
with statistical secrecy applied, for anyone, without signing in. Mounted at
/donnees-ouvertes/."""

from django.http import Http404
from django.urls import path
from django.views.generic import TemplateView, View

from alize import exports

from . import publication

app_name = "open_data"


def filename(dispositif, year: int) -> str:
    return f"{dispositif.slug}-{year}.csv"


class OpenDataListView(TemplateView):
    """The files, newest year first, and where their columns are described."""

    template_name = "reporting/open_data.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        files = publication.open_data_files()
        context["files"] = [
            {"dispositif": dispositif, "year": year, "filename": filename(dispositif, year)}
            for dispositif, year in files
        ]
        context["columns"] = publication.OPEN_DATA_COLUMNS
        return context


class OpenDataFileView(View):
    """One dispositif's file for one year (404 for a file not listed)."""

    def get(self, request, slug: str, year: int):
        files = publication.open_data_files()
        found = next((d for d, y in files if d.slug == slug and y == year), None)
        if found is None:
            raise Http404
        return exports.csv_response(
            filename=filename(found, year),
            headers=publication.OPEN_DATA_COLUMNS,
            rows=publication.open_data_lines(found, year),
            flavour=exports.OPEN_DATA,
        )


urlpatterns = [
    path("", OpenDataListView.as_view(), name="list"),
    path("<slug:slug>-<int:year>.csv", OpenDataFileView.as_view(), name="file"),
]
