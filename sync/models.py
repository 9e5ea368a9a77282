import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from tenants.models import Connection, Tenant


class Mirrored(models.Model):
    """Base of every mirrored row: whose it is, its upstream id, whether upstream still has it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=255)  # verbatim: Bakalari ids carry spaces
    active = models.BooleanField(default=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "external_id"], name="%(app_label)s_%(class)s_one_per_record"
            )
        ]

    def __str__(self) -> str:
        return getattr(self, "name", "") or self.external_id


class ExternalRef(models.Model):
    """One external record of one tenant's source, mapped to its local object."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="external_refs")
    source = models.CharField(max_length=40)
    kind = models.CharField(max_length=40)
    external_id = models.CharField(max_length=255)
    # The part of a stream this record was fetched under (for example one SARI course part);
    # missing-marking only touches scopes that were fetched completely.
    scope = models.CharField(max_length=255, blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.BigIntegerField()
    checksum = models.CharField(max_length=64)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    last_changed_at = models.DateTimeField()
    missing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "kind", "external_id"], name="one_ref_per_record"
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.source}/{self.kind}/{self.external_id!r}"


class SyncRun(models.Model):
    class Trigger(models.TextChoices):
        CRON = "cron", "Schedule"
        MANUAL = "manual", "Admin"
        API = "api", "HTTP API"
        CLI = "cli", "Command line"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        OK = "ok", "OK"
        PARTIAL = "partial", "Partial"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    FINISHED = (Status.OK, Status.PARTIAL, Status.FAILED, Status.SKIPPED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)  # {stream: {created, updated, ...}}
    # What it covered where each account sees a part: {"streams": [{stream, covered, known,
    # text}], "accounts": {login: "ok" or why it failed}} (see sync.run.coverage).
    coverage = models.JSONField(default=dict, blank=True)
    progress = models.JSONField(default=dict, blank=True)  # moves while it runs
    requests_made = models.PositiveIntegerField(default=0)
    error_kind = models.CharField(max_length=30, blank=True)
    error_message = models.TextField(blank=True)
    worker = models.CharField(max_length=200, blank=True)  # host:pid that ran it

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["connection", "-created_at"]),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["created_at"]),  # retention finds the old ones by it
        ]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"{self.connection} · {self.created_at:%Y-%m-%d %H:%M} · {self.status}"

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    def totals(self) -> dict[str, int]:
        """The counts of the streams that were read, added up."""
        total: dict[str, int] = {}
        for counts in self.counts.values():
            for name, value in counts.items():
                if isinstance(value, int):
                    total[name] = total.get(name, 0) + value
        return total

    def not_fetched(self) -> dict[str, str]:
        """Stream -> why this run could not read it (the account may not see it)."""
        return {
            kind: counts["not_fetched"]
            for kind, counts in self.counts.items()
            if counts.get("not_fetched")
        }


class Lease(models.Model):
    """Who may sync a connection now. Claimed by a conditional UPDATE; expires by itself."""

    connection = models.OneToOneField(
        Connection, on_delete=models.CASCADE, primary_key=True, related_name="lease"
    )
    run = models.UUIDField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"lease of {self.connection_id} held by {self.run or 'nobody'}"


class ApiToken(models.Model):
    """A bearer token for the HTTP trigger. Only its SHA-256 is stored; it is shown once."""

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Incident(models.Model):
    """A connection that needs a person, from the run that showed it until a run succeeds.

    One open incident per connection and cause (a partial unique constraint: processes finishing
    runs at once open it once). Its opening and closing messages each go out once: a process
    takes a due message by a conditional update before sending it (`sync.alerts.notices`).
    """

    class Cause(models.TextChoices):
        FAILING = "failing", "Failing"
        NEEDS_PERSON = "needs_person", "Needs a person"
        LATE = "late", "Late"

    class Notice(models.TextChoices):
        NONE = "", "Nothing to send"
        DUE = "due", "Due"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="incidents")
    cause = models.CharField(max_length=20, choices=Cause.choices)
    error_kind = models.CharField(max_length=30, blank=True)
    message = models.TextField(blank=True)  # the cause in the admin's sentence
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    opening_run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    latest_run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closing_run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opening_notice = models.CharField(
        max_length=10, choices=Notice.choices, default=Notice.DUE, blank=True
    )
    closing_notice = models.CharField(
        max_length=10, choices=Notice.choices, default=Notice.NONE, blank=True
    )
    reminder_notice = models.CharField(
        max_length=10, choices=Notice.choices, default=Notice.NONE, blank=True
    )
    notice_taken_at = models.DateTimeField(null=True, blank=True)  # when a sender took one
    # {message: recipients it reached already}: a retry sends to the others only.
    delivered_to = models.JSONField(default=dict, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    last_delivery_error = models.TextField(blank=True)
    last_delivery_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "cause"],
                condition=models.Q(closed_at__isnull=True),
                name="one_open_incident_per_cause",
            )
        ]
        indexes = [models.Index(fields=["closed_at", "opened_at"])]

    def __str__(self) -> str:
        since = f"{self.opened_at:%Y-%m-%d %H:%M}"
        return f"{self.connection} · {self.get_cause_display()} since {since}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
