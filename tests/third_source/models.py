"""A library's branches and the books on their shelves, as mirrored."""

from django.db import models

from sync.models import Mirrored


class Branch(Mirrored):
    name = models.CharField(max_length=200)
    city = models.CharField(max_length=100, blank=True)

    class Meta(Mirrored.Meta):
        ordering = ["name"]
        verbose_name_plural = "branches"


class Book(Mirrored):
    branch = models.ForeignKey(Branch, null=True, on_delete=models.CASCADE, related_name="books")
    title = models.CharField(max_length=300)
    author = models.CharField(max_length=200, blank=True)
    year = models.IntegerField(null=True, blank=True)

    class Meta(Mirrored.Meta):
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
