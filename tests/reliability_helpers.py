"""What the reliability tests share: a small school, the mirror as plain data, waiting."""

import time

from django.apps import apps
from django.contrib.contenttypes.models import ContentType

from sync.models import ExternalRef
from sync.sources.bakalari.dataset import School
from tests.sync_helpers import MIRROR_APPS


def small_school(classes: int = 2) -> School:
    """The sandbox's school cut to its first `classes` classes, seen whole through the first
    account (the opt-in assumption): the same quirks, ~15 requests."""
    school = School.build(whole_school_account=True)  # its first account sees it all
    school.classes = school.classes[:classes]
    kept = {c.id for c in school.classes}
    school.groups = [g for g in school.groups if g.class_id in kept]
    groups = {g.id for g in school.groups}
    school.pupils = [p for p in school.pupils if p.class_id in kept]
    school.atoms = [a for a in school.atoms if a.group_id in groups]
    school.lessons = [x for x in school.lessons if x.group_id in groups]
    school.events = [e for e in school.events if set(e.class_ids) <= kept]
    return school


def active_mirror(tenant) -> dict[str, set[str]]:
    """External ids of the tenant's active rows, per model: what the mirror says exists now."""
    state = {}
    for label in MIRROR_APPS:
        for model in apps.get_app_config(label).get_models():
            ids = model.objects.filter(tenant=tenant, active=True).values_list(
                "external_id", flat=True
            )
            state[model._meta.label] = set(ids)
    return state


def refs_agree_with_rows(tenant) -> list[str]:
    """Problems between ExternalRefs and rows: every row has one ref, active iff not missing."""
    problems = []
    for label in MIRROR_APPS:
        for model in apps.get_app_config(label).get_models():
            rows = dict(model.objects.filter(tenant=tenant).values_list("pk", "active"))
            content_type = ContentType.objects.get_for_model(model)
            refs = ExternalRef.objects.filter(tenant=tenant, content_type=content_type)
            seen = {}
            for object_id, missing in refs.values_list("object_id", "missing_since"):
                if object_id in seen:
                    problems.append(f"{model._meta.label} {object_id}: two refs")
                seen[object_id] = missing is None
            if set(seen) != set(rows):
                problems.append(f"{model._meta.label}: rows and refs differ")
            problems += [
                f"{model._meta.label} {pk}: active={active} but ref says {seen.get(pk)}"
                for pk, active in rows.items()
                if seen.get(pk) is not None and seen[pk] != active
            ]
    return problems


def wait_until(condition, *, seconds: float, process=None, what: str = "") -> None:
    """Poll `condition` until true; fail early if `process` died meanwhile."""
    deadline = time.monotonic() + seconds
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"process ended before {what}: {process.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
