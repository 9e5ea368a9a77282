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

    def __str__(self) -> str:
        return self.title or self.external_id


class EventTime(Mirrored):
    """One time slot of an event (a course held on several days has several); upstream gives
    slots no id, so a slot is keyed by its event and start."""

    event = models.ForeignKey(Event, null=True, on_delete=models.CASCADE, related_name="times")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    whole_day = models.BooleanField(default=False)

    class Meta(Mirrored.Meta):
        ordering = ["starts_at"]


class Lesson(Mirrored):
    """One lesson of the standing timetable: a day, an hour, the groups taught and the weeks
    (cycles) it is held in."""

    day_of_week = models.PositiveSmallIntegerField()  # 1 = Monday
    hour_id = models.IntegerField()
    hour = models.CharField(max_length=20, blank=True)  # its caption: "1" for the first
    begins = models.TimeField(null=True, blank=True)
    ends = models.TimeField(null=True, blank=True)
    cycle_ids = models.CharField(max_length=100, blank=True)
    cycles = models.CharField(max_length=200, blank=True)
    school_class = models.ForeignKey(SchoolClass, null=True, blank=True, on_delete=models.SET_NULL)
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL)
    group_ids = models.CharField(max_length=255, blank=True)
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.SET_NULL)
    teacher = models.ForeignKey(Teacher, null=True, blank=True, on_delete=models.SET_NULL)
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta(Mirrored.Meta):
        ordering = ["day_of_week", "hour_id"]


class Mark(Mirrored):
    """A mark from a teaching assignment's grade book."""

    pupil = models.ForeignKey(Pupil, null=True, on_delete=models.CASCADE)
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.SET_NULL)
    atom_id = models.CharField(max_length=255)
    value = models.CharField(max_length=50, blank=True)  # "1-", "N", or points
    max_points = models.IntegerField(null=True, blank=True)  # set where points are given
    weight = models.IntegerField(null=True, blank=True)
    kind = models.CharField(max_length=100, blank=True)
    theme = models.CharField(max_length=300, blank=True)
    marked_on = models.DateField(null=True, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    confirmation = models.CharField(max_length=50, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta(Mirrored.Meta):
        ordering = ["marked_on"]
