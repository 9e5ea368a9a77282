"""The standing timetable's lessons: one row per lesson, keyed by what the lesson is."""

from datetime import time

import pytest

from sync.sources.bakalari import dataset, streams
from sync.sources.bakalari.models import Lesson
from tests.edited_answers import edited
from tests.sync_helpers import run_sync, snapshot, sync_writing

# Sized for a whole school through one login: the sandbox's opt-in whole-school account.
pytestmark = [pytest.mark.django_db, pytest.mark.whole_school]

PERMANENT = r"/api/3/timetable/permanent$"


@pytest.fixture
def school(bakalari_sandbox):
    return bakalari_sandbox.school


def test_every_lesson_is_created_with_its_hour_and_weeks(bakalari_synced, school, tenant):
    assert Lesson.objects.filter(tenant=tenant).count() == len(school.lessons)
    assert bakalari_synced.counts["lesson"]["created"] == len(school.lessons)
    first = school.lessons[0]
    lesson = Lesson.objects.select_related("group", "school_class", "subject", "teacher").get(
        tenant=tenant,
        day_of_week=first.day,
        hour_id=first.hour_id,
        group__external_id=first.group_id,
    )
    assert (lesson.hour, lesson.begins, lesson.ends) == ("1", time(8, 0), time(8, 45))
    assert lesson.cycles == "Sudý, Lichý" and lesson.cycle_ids == "0,1"
    assert lesson.subject.external_id == first.subject_id
    assert lesson.teacher.external_id == first.teacher_id
    assert lesson.room.external_id == first.room_id
    assert lesson.school_class.external_id == school.group(first.group_id).class_id


def test_a_reordered_timetable_writes_no_lesson(
    bakalari_synced, bakalari_connection, bakalari_sandbox, school
):
    school.reverse_order()

    def turned(payload, path):
        for day in payload["Days"]:
            day["Atoms"].reverse()
        payload["Days"].reverse()
        return payload

    run, written = sync_writing(bakalari_connection, edited(bakalari_sandbox, PERMANENT, turned))
    assert written == []
    assert run.counts["lesson"]["unchanged"] == len(school.lessons)


def test_a_lesson_listed_twice_is_one_lesson(
    bakalari_synced, bakalari_connection, bakalari_sandbox, school
):
    def twice(payload, path):
        for day in payload["Days"]:
            day["Atoms"] += [dict(atom) for atom in day["Atoms"]]
        return payload

    run, written = sync_writing(bakalari_connection, edited(bakalari_sandbox, PERMANENT, twice))
    assert written == []
    assert run.counts["lesson"] == {
        "created": 0,
        "updated": 0,
        "unchanged": len(school.lessons),
        "missing": 0,
    }


def test_a_lesson_moved_to_another_room_updates_that_row(
    bakalari_synced, bakalari_connection, bakalari_sandbox, school, tenant
):
    moved = school.lessons[10]
    moved.room_id = next(r.id for r in school.rooms if r.id != moved.room_id)
    before = snapshot(tenant)["bakalari.Lesson"]

    run, written = sync_writing(bakalari_connection, bakalari_sandbox)

    assert run.counts["lesson"]["updated"] == 1 and run.totals()["updated"] == 1
    assert set(written) == {"bakalari_lesson", "sync_externalref"}
    after = snapshot(tenant)["bakalari.Lesson"]
    assert len([new for old, new in zip(before, after, strict=True) if old != new]) == 1


def test_a_lesson_dropped_from_the_timetable_goes_missing(
    bakalari_synced, bakalari_connection, bakalari_sandbox, school, tenant
):
    school.lessons.pop(4)
    run = run_sync(bakalari_connection, bakalari_sandbox)
    assert run.counts["lesson"]["missing"] == 1
    assert Lesson.objects.filter(tenant=tenant, active=True).count() == len(school.lessons)


def test_a_teachers_timetable_gives_the_same_lessons_the_same_keys(bakalari_client_for):
    school_wide = bakalari_client_for().timetable_permanent()
    teachers = bakalari_client_for(dataset.TEACHER_USERNAME, dataset.TEACHER_PASSWORD)
    own = teachers.timetable_permanent()

    everyone = {record.key: record for record in streams.lesson_records(school_wide)}
    taught = {record.key: record for record in streams.lesson_records(own)}

    assert taught and set(taught) < set(everyone)
    assert all(taught[key] == everyone[key] for key in taught)
