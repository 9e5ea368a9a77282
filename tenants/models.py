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
    alert_emails = models.TextField(
        blank=True,
        help_text="E-mail addresses told when a connection of this tenant fails or is late, "
        "separated by commas or new lines.",
    )
    # {"urls": [...]}: apprise URLs of chat and webhook channels. They carry tokens, so they are
    # secrets: encrypted at rest and never shown again once saved.
    alert_urls = EncryptedJSONField(
        help_text="Chat and webhook channels told when a connection of this tenant fails or is "
        "late (apprise URLs)."
    )
    # Days a record missing upstream stays in the mirror before it is purged; blank: the
    # operator's SYNC_PURGE_MISSING_DAYS, 0: never purged.
    purge_missing_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Days a pupil, participant or other record that left upstream stays in the "
        "mirror (inactive) before it is deleted. Blank: the operator's default; 0: never.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Login(models.Model):
    """What every login to a source holds: its encrypted secrets, the tokens its client keeps
    between runs (for example Bakaláři's rotating refresh token), and its last test."""

    secrets = EncryptedJSONField()
    session = EncryptedJSONField()
    secrets_changed_at = models.DateTimeField(null=True, blank=True)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True)
    last_test_result = models.TextField(blank=True)

    class Meta:
        abstract = True

    def has_secret(self, name: str) -> bool:
        return bool(self.secrets.get(name))

    def store_session(self, session: dict) -> None:
        """Keep the client's newest tokens, at once and only in this column.

        Called while fetching, outside the write transaction, so a rotated refresh token
        survives a sync that fails later.
        """
        self.session = session
        type(self).objects.filter(pk=self.pk).update(session=session)


class Connection(Login):
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

    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_sync_status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.NEVER, blank=True
    )
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # What the last successful run covered, where each account sees part of the tenant (the
    # sync app's coverage summary: its streams measured, its accounts); {} where not measured.
    last_coverage = models.JSONField(default=dict, blank=True)

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


class Account(Login):
    """One more login of a connection, for a source whose accounts each see part of the tenant
    (a Bakaláři teacher sees their own classes): a run reads the connection through its own
    login and each enabled account, and unites what they see. Its settings are the source's
    per-account ones (`Source.account_fields`); the address and the rest stay the connection's.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="accounts")
    username = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["connection", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "username"], name="one_account_per_login")
        ]

    def __str__(self) -> str:
        return self.username

    def as_connection(self) -> Connection:
        """The connection as this account logs in to it: the connection's address and options,
        this account's username, secrets and session. Its tokens are kept on the account."""
        connection = self.connection
        login = Connection(
            pk=connection.pk,
            tenant=connection.tenant,
            source=connection.source,
            enabled=connection.enabled,
            base_url=connection.base_url,
            options={**connection.options, "username": self.username},
            secrets={**connection.secrets, **self.secrets},
            session=self.session,
            last_success_at=connection.last_success_at,
        )
        login.store_session = self.store_session_of(login)
        login.account = self
        return login

    def store_session_of(self, login: Connection):
        def store(session: dict) -> None:
            login.session = session
            self.store_session(session)

        return store
