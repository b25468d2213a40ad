"""Reads of the core's own models."""

from .models import JobFailure


def recent_job_failures(*, since):
    """Failed job runs recorded since ``since``, newest first."""
    return JobFailure.objects.filter(failed_at__gte=since).order_by("-failed_at", "-id")
