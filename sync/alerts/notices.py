"""Each message of an incident sent once, by whichever process takes it first.

A message is due, being sent, or sent (`Incident.Notice`). A sender takes a due message with a
conditional update that only one process can win, sends it to each recipient it has not yet
reached, and marks it sent; a recipient that could not be reached (mail server down, webhook
500) leaves it due, with the reason on the incident, for the next tick to retry. A sender that
died holding a message gives it back after TAKEN_FOR. Nothing here raises: a message that cannot
go out never fails or delays a sync.
"""

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from sync.alerts import channels, contacts, messages
from sync.models import Incident

log = logging.getLogger(__name__)

TAKEN_FOR = timedelta(minutes=5)
DUE, SENDING, SENT = Incident.Notice.DUE, Incident.Notice.SENDING, Incident.Notice.SENT

# In the order they are sent: an incident's closing never goes out before its opening.
NOTICES: tuple[tuple[str, Callable], ...] = (
    ("opening_notice", messages.opening),
    ("reminder_notice", messages.reminder),
    ("closing_notice", messages.closing),
)


def deliver_due(now: datetime | None = None) -> int:
    """Send every due message this process can take; how many went out in full."""
    now = now or timezone.now()
    sent = 0
    for field, compose in NOTICES:
        for incident_id in waiting(field, now).values_list("pk", flat=True):
            if take(incident_id, field, now):
                sent += send(incident_id, field, compose, now)
    return sent


def waiting(field: str, now: datetime):
    """Incidents whose `field` message is due, or was taken by a sender long gone."""
    due = Q(**{field: DUE}) | Q(**{field: SENDING, "notice_taken_at__lt": now - TAKEN_FOR})
    incidents = Incident.objects.filter(due)
    if field != "opening_notice":  # the opening first, whatever follows it
        incidents = incidents.exclude(opening_notice__in=(DUE, SENDING))
    return incidents


def take(incident_id: int, field: str, now: datetime) -> bool:
    """Whether this process won `field`'s message of the incident (one process does)."""
    taken = waiting(field, now).filter(pk=incident_id)
    return bool(taken.update(**{field: SENDING, "notice_taken_at": now}))


def send(incident_id: int, field: str, compose: Callable, now: datetime) -> bool:
    incident = Incident.objects.select_related("connection__tenant").get(pk=incident_id)
    reached: set[str] = set()
    try:
        message = compose(incident)
        reached = set(incident.delivered_to.get(field, []))
        failures = []
        for key, emails, urls in recipients(incident):
            if key in reached:
                continue
            problems = channels.deliver(message.subject, message.body, emails=emails, urls=urls)
            if problems:
                failures += problems
            else:
                reached.add(key)
    except Exception as error:  # a bug must not leave the message taken for good
        log.exception("could not send the %s of incident %s", field, incident_id)
        failures = [f"Internal error ({type(error).__name__}); see the log."]
    done = not failures
    delivered = dict(incident.delivered_to)
    delivered[field] = [] if done else sorted(reached)
    Incident.objects.filter(pk=incident_id, **{field: SENDING}).update(
        **{field: SENT if done else DUE},
        delivered_to=delivered,
        last_delivery_at=now,
        last_delivery_error="" if done else "\n".join(failures),
    )
    if failures:
        log.warning("incident %s: %s not delivered to all: %s", incident_id, field, failures)
    return done


def recipients(incident: Incident) -> list[tuple[str, list[str], list[str]]]:
    """(key, e-mail addresses, channel URLs) for each recipient: the tenant's and the
    operator's, each address and channel apart so that a retry skips those reached. A channel
    is known by a digest of its URL (which holds tokens), never by the URL itself."""
    emails, urls = contacts.tenant_contacts(incident.connection.tenant)
    operator_emails, operator_urls = contacts.operator_contacts()
    found = []
    for address in dict.fromkeys([*emails, *operator_emails]):
        found.append((f"mail:{address.lower()}", [address], []))
    for url in dict.fromkeys([*urls, *operator_urls]):
        found.append((f"url:{hashlib.sha256(url.encode()).hexdigest()[:16]}", [], [url]))
    return found


def remind(now: datetime | None = None) -> int:
    """Make a reminder due for each incident open longer than SYNC_ALERT_REMIND_HOURS since its
    opening or last reminder (off at 0, the default); how many."""
    hours = settings.SYNC_ALERT_REMIND_HOURS
    if not hours:
        return 0
    now = now or timezone.now()
    before = now - timedelta(hours=hours)
    stale = Q(reminded_at__lt=before) | Q(reminded_at__isnull=True, opened_at__lt=before)
    return (
        Incident.objects.filter(stale, closed_at__isnull=True, opening_notice=SENT)
        .exclude(reminder_notice__in=(DUE, SENDING))
        .update(reminder_notice=DUE, reminded_at=now)
    )
