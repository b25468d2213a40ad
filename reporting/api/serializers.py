"""Serializers of the documents API (read-only)."""

from django.urls import reverse
from rest_framework import serializers

from alize.api.serializers import ModelSerializer
from loans.models import ContributionKind

from ..models import Document, DocumentStatus


class DocumentSerializer(ModelSerializer):
    """A document, its build's state and, once done, the link of its scoped download."""

    dispositif_name = serializers.CharField(source="dispositif.name", read_only=True, default=None)
    # A funders' report's funding source; empty for every other kind of document.
    source = serializers.ChoiceField(
        choices=ContributionKind.choices, allow_blank=True, read_only=True
    )
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "kind",
            "scope",
            "dispositif",
            "dispositif_name",
            "organisation",
            "committee",
            "year",
            "source",
            "agreement",
            "agreement_firm",
            "period_start",
            "period_end",
            "file_format",
            "language",
            "version",
            "is_current",
            "status",
            "progress",
            "error",
            "filename",
            "content_type",
            "checksum",
            "size",
            "created_at",
            "finished_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, document) -> str | None:
        if document.status != DocumentStatus.DONE:
            return None
        path = reverse("reporting:download", args=[document.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path
