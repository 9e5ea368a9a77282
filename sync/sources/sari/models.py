"""Driving-licence courses as mirrored from SARI: a course is a group of parts (sessions)."""

from django.db import models

from sync.models import Mirrored


class Course(Mirrored):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        RUNNING = "running", "Running"  # some parts held already
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    course_type = models.CharField(max_length=10)  # VKU or PGS
    name = models.CharField(max_length=200)
    starts_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)

    class Meta(Mirrored.Meta):
        ordering = ["starts_at"]


class CourseSession(Mirrored):
    """One part of a course; its SARI course id is the external id."""

    course = models.ForeignKey(Course, null=True, on_delete=models.CASCADE, related_name="sessions")
    name = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    venue_name = models.CharField(max_length=200, blank=True)
    venue_address = models.CharField(max_length=300, blank=True)
    venue_zip = models.CharField(max_length=20, blank=True)
    venue_city = models.CharField(max_length=100, blank=True)
    free_places = models.IntegerField(null=True, blank=True)

    class Meta(Mirrored.Meta):
        ordering = ["starts_at"]


class Participant(Mirrored):
    """A person enrolled in one part, keyed by part id and canonical FABER-ID."""

    session = models.ForeignKey(
        CourseSession, null=True, on_delete=models.CASCADE, related_name="participants"
    )
    faber_id = models.CharField(max_length=20)  # canonical: leading zeros stripped
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    birthdate = models.DateField(null=True, blank=True)
    confirmed_on = models.DateField(null=True, blank=True)

    class Meta(Mirrored.Meta):
        ordering = ["last_name", "first_name"]
