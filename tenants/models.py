from django.conf import settings
from django.db import models

from tenants.fields import EncryptedJSONField


class Tenant(models.Model):
    class Kind(models.TextChoices):
        SCHOOL = "school", "School"
        DRIVING_SCHOOL = "driving_school", "Driving school"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SCHOOL)
    active = models.BooleanField(default=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="tenants",
        help_text="Staff users who may see and manage this tenant's data.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Connection(models.Model):
    """One tenant's link to one source: where it is, how to log in, how the last sync went."""

    class Status(models.TextChoices):
        NEVER = "", "Never synced"
        OK = "ok", "OK"
        PARTIAL = "partial", "Partial"
        FAILED = "failed", "Failed"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="connections")
    # A source's slug; which sources exist is the sync app's to say, not this model's.
    source = models.CharField(max_length=40)
    enabled = models.BooleanField(default=True)
    base_url = models.CharField(max_length=500, blank=True)
    options = models.JSONField(default=dict, blank=True)
    secrets = EncryptedJSONField()
    # Tokens the client keeps between runs (for example Bakalari's rotating refresh token).
    session = EncryptedJSONField()
    secrets_changed_at = models.DateTimeField(null=True, blank=True)

    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_sync_status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.NEVER, blank=True
    )
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True)
    last_test_result = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant__name", "source"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "source"], name="one_connection_per_source")
        ]
        permissions = [
            ("run_sync", "Can run a sync of a connection"),
            ("test_connection", "Can test a connection"),
        ]

    # How a source's slug reads to people ("Bakaláři"). Tenants knows no source: the sync app
    # puts its registry's answer here when it is ready.
    label_source = staticmethod(str)

    def __str__(self) -> str:
        return f"{self.tenant} · {self.source_label}"

    @property
    def source_label(self) -> str:
        return self.label_source(self.source)

    def has_secret(self, name: str) -> bool:
        return bool(self.secrets.get(name))

    def store_session(self, session: dict) -> None:
        """Keep the client's newest tokens, at once and only in this column.

        Called while fetching, outside the write transaction, so a rotated refresh token
        survives a sync that fails later.
        """
        self.session = session
        Connection.objects.filter(pk=self.pk).update(session=session)
