"""The school as mirrored from Bakaláři. Ids are kept verbatim; display texts are trimmed."""

from django.db import models

from sync.models import Mirrored


class SchoolClass(Mirrored):
    abbrev = models.CharField(max_length=50, blank=True)
    name = models.CharField(max_length=200, blank=True)

    class Meta(Mirrored.Meta):
        verbose_name_plural = "school classes"
        ordering = ["abbrev"]


class Group(Mirrored):
    school_class = models.ForeignKey(SchoolClass, null=True, blank=True, on_delete=models.SET_NULL)
    abbrev = models.CharField(max_length=50, blank=True)
    name = models.CharField(max_length=200, blank=True)

    class Meta(Mirrored.Meta):
        ordering = ["abbrev"]


class Named(Mirrored):
    """Bakaláři's common {Id, Abbrev, Name} shape."""

    abbrev = models.CharField(max_length=50, blank=True)
    name = models.CharField(max_length=200, blank=True)

    class Meta(Mirrored.Meta):
        abstract = True


class Subject(Named):
    class Meta(Named.Meta):
        ordering = ["name"]


class Teacher(Named):
    class Meta(Named.Meta):
        ordering = ["name"]


class Room(Named):
    class Meta(Named.Meta):
        ordering = ["abbrev"]


class Pupil(Mirrored):
    school_class = models.ForeignKey(SchoolClass, null=True, blank=True, on_delete=models.SET_NULL)
    name = models.CharField(max_length=200)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)

    class Meta(Mirrored.Meta):
        ordering = ["last_name", "first_name"]


class Enrolment(Mirrored):
    """A pupil taught in one teaching assignment (Bakaláři's marking atom: subject x group)."""

    pupil = models.ForeignKey(Pupil, null=True, on_delete=models.CASCADE)
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.SET_NULL)
    atom_id = models.CharField(max_length=255)
    name = models.CharField(max_length=200, blank=True)


class Event(Mirrored):
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    event_type = models.CharField(max_length=100, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    whole_day = models.BooleanField(default=False)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta(Mirrored.Meta):
        ordering = ["starts_at"]
