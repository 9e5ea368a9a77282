"""What an incident's messages say: who, what, since when, the last success, where to look, and
what to do. Built from stored, already scrubbed text only: never a secret."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from sync.models import Incident
from sync.upstream.errors import remedy_for

LATE_REMEDY = (
    "Check that the scheduler runs (`manage.py crontab show`, the systemd timer, Celery beat) "
    "and what `manage.py sync_status` says of the connection."
)


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


def moment(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z") if value else "never"


def link(url_name: str, pk) -> str:
    """An address of the admin, absolute where SYNC_SITE_URL says where it is served."""
    return settings.SYNC_SITE_URL.rstrip("/") + reverse(url_name, args=[pk])


def remedy(incident: Incident) -> str:
    if incident.cause == Incident.Cause.LATE:
        return LATE_REMEDY
    return remedy_for(incident.error_kind)


def who(incident: Incident) -> str:
    connection = incident.connection
    return f"{connection.tenant.name} · {connection.source_label}"


def facts(incident: Incident) -> list[str]:
    connection = incident.connection
    lines = [
        f"Tenant: {connection.tenant.name}",
        f"Source: {connection.source_label}",
        f"Cause: {incident.get_cause_display()}: {incident.message or '(no message)'}",
        f"Since: {moment(incident.opened_at)}",
        f"Last success: {moment(connection.last_success_at)}",
    ]
    run = incident.latest_run_id or incident.opening_run_id
    if run:
        lines.append(f"Run: {link('admin:sync_syncrun_change', run)}")
    lines.append(f"Connection: {link('admin:tenants_connection_change', connection.pk)}")
    return lines


def opening(incident: Incident) -> Message:
    subject = f"[EduRPG sync] {who(incident)}: {incident.get_cause_display().lower()}"
    body = "\n".join(
        [
            f"The sync of {who(incident)} needs attention.",
            "",
            *facts(incident),
            "",
            f"What to do: {remedy(incident)}",
            "",
            "You will get one more message when it syncs again.",
        ]
    )
    return Message(subject, body)


def reminder(incident: Incident) -> Message:
    subject = f"[EduRPG sync] still open: {who(incident)}: {incident.get_cause_display().lower()}"
    lines = [f"The sync of {who(incident)} still needs attention.", "", *facts(incident)]
    body = "\n".join([*lines, "", f"What to do: {remedy(incident)}"])
    return Message(subject, body)


def closing(incident: Incident) -> Message:
    subject = f"[EduRPG sync] resolved: {who(incident)}"
    lines = [
        f"The sync of {who(incident)} succeeds again.",
        "",
        f"Cause was: {incident.get_cause_display()}: {incident.message or '(no message)'}",
        f"Open from {moment(incident.opened_at)} to {moment(incident.closed_at)}",
    ]
    if incident.closing_run_id:
        lines.append(f"Run: {link('admin:sync_syncrun_change', incident.closing_run_id)}")
    return Message(subject, "\n".join(lines))
