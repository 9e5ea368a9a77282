"""The engine over a Bakaláři school: creates, re-runs without writing, follows changes."""

import pytest

from sync.models import ExternalRef, SyncRun
from sync.sources.bakalari.models import Enrolment, Event, Group, Pupil, SchoolClass, Teacher
from tests.sync_helpers import run_sync, snapshot, sync_writing

# Sized for a whole school through one login: the sandbox's opt-in whole-school account.
pytestmark = [pytest.mark.django_db, pytest.mark.whole_school]


@pytest.fixture
def school(bakalari_sandbox):
    return bakalari_sandbox.school


@pytest.fixture
def synced(bakalari_connection, bakalari_sandbox):
    run = run_sync(bakalari_connection, bakalari_sandbox)
    assert run.status == SyncRun.Status.OK, run.error_message
    return run


def test_first_run_creates_every_record(synced, school, tenant):
    assert SchoolClass.objects.filter(tenant=tenant).count() == len(school.classes)
    assert Group.objects.filter(tenant=tenant).count() == len(school.groups)
    assert Teacher.objects.filter(tenant=tenant).count() == len(school.teachers)
    assert Pupil.objects.filter(tenant=tenant).count() == len(school.pupils)
    assert Event.objects.filter(tenant=tenant).count() == len(school.events)
    assert Enrolment.objects.filter(tenant=tenant).count() > len(school.pupils)
    created = sum(c["created"] for c in synced.counts.values())
    assert created == ExternalRef.objects.filter(tenant=tenant).count()
    assert synced.progress["records"] == created, "the run page shows every stream's records"
    assert synced.counts["pupil"] == {
        "created": len(school.pupils),
        "updated": 0,
        "unchanged": 0,
        "missing": 0,
    }
    assert synced.requests_made > 100


def test_pupils_land_in_their_classes_with_diacritics(synced, school, tenant):
    pupil = school.pupils[0]
    mirrored = Pupil.objects.get(tenant=tenant, external_id=pupil.id)
    assert mirrored.school_class.external_id == pupil.class_id
    assert mirrored.first_name == pupil.first_name
    assert any(ch in "áčďéěíňóřšťúůýž" for p in Pupil.objects.all() for ch in p.name.lower())


def test_ids_with_spaces_are_kept_verbatim(synced, tenant):
    assert Teacher.objects.filter(tenant=tenant, external_id="U  12").exists()
    ref = ExternalRef.objects.get(tenant=tenant, kind="subject", external_id=" 1")
    assert ref.external_id == " 1"


def test_second_run_writes_no_mirrored_row(synced, bakalari_connection, bakalari_sandbox):
    run, written = sync_writing(bakalari_connection, bakalari_sandbox)
    assert run.status == SyncRun.Status.OK
    assert written == []
    totals = run.totals()
    assert totals["created"] == totals["updated"] == totals["missing"] == 0
    assert totals["unchanged"] == sum(c["created"] for c in synced.counts.values())


def test_reordered_answers_change_nothing(synced, bakalari_connection, bakalari_sandbox, school):
    school.reverse_order()
    run, written = sync_writing(bakalari_connection, bakalari_sandbox)
    assert run.status == SyncRun.Status.OK
    assert written == []


def test_an_upstream_change_updates_exactly_the_changed_rows(
    synced, bakalari_connection, bakalari_sandbox, school, tenant
):
    pupil, teacher = school.pupils[3], school.teachers[1]
    school.rename_pupil(pupil.id, last_name="Řezníčková")
    school.rename_teacher(teacher.id, first_name="Žofie")
    before = snapshot(tenant)

    run, written = sync_writing(bakalari_connection, bakalari_sandbox)

    assert run.counts["pupil"]["updated"] == 1
    assert run.counts["teacher"]["updated"] == 1
    assert run.totals()["updated"] == 2
    assert set(written) == {"bakalari_pupil", "bakalari_teacher", "sync_externalref"}
    assert Pupil.objects.get(tenant=tenant, external_id=pupil.id).last_name == "Řezníčková"
    after = snapshot(tenant)
    pairs = zip(before["bakalari.Pupil"], after["bakalari.Pupil"], strict=True)
    changed_pupils = [new for old, new in pairs if old != new]
    assert [p["external_id"] for p in changed_pupils] == [pupil.id]


def test_an_added_pupil_is_created(synced, bakalari_connection, bakalari_sandbox, school, tenant):
    added = school.add_pupil(school.classes[0].id, "Dvořák", "Šimon")
    run = run_sync(bakalari_connection, bakalari_sandbox)
    assert run.counts["pupil"]["created"] == 1
    assert Pupil.objects.get(tenant=tenant, external_id=added.id).active


def test_an_upstream_removal_marks_missing_and_deactivates(
    synced, bakalari_connection, bakalari_sandbox, school, tenant
):
    gone = school.pupils[5]
    school.remove_pupil(gone.id)
    run = run_sync(bakalari_connection, bakalari_sandbox)
    assert run.counts["pupil"]["missing"] == 1
    pupil = Pupil.objects.get(tenant=tenant, external_id=gone.id)  # kept, never deleted
    assert not pupil.active
    ref = ExternalRef.objects.get(tenant=tenant, kind="pupil", external_id=gone.id)
    assert ref.missing_since is not None
    assert Pupil.objects.filter(tenant=tenant, active=True).count() == len(school.pupils)

    # the next run finds it still gone and writes nothing
    again, written = sync_writing(bakalari_connection, bakalari_sandbox)
    assert again.counts["pupil"]["missing"] == 0
    assert written == []


def test_a_record_that_returns_is_reactivated(
    synced, bakalari_connection, bakalari_sandbox, school, tenant
):
    gone = school.pupils[5]
    school.pupils.remove(gone)
    run_sync(bakalari_connection, bakalari_sandbox)
    school.pupils.insert(5, gone)
    run = run_sync(bakalari_connection, bakalari_sandbox)
    assert run.counts["pupil"]["updated"] == 1
    assert Pupil.objects.get(tenant=tenant, external_id=gone.id).active
    ref = ExternalRef.objects.get(tenant=tenant, kind="pupil", external_id=gone.id)
    assert ref.missing_since is None


def test_an_empty_answer_over_mirrored_data_is_partial_not_a_wipe_out(
    synced, bakalari_connection, bakalari_sandbox, school, tenant
):
    school.classes.clear()
    run = run_sync(bakalari_connection, bakalari_sandbox)
    assert run.status == SyncRun.Status.PARTIAL
    assert "classes: upstream returned nothing" in run.error_message
    assert SchoolClass.objects.filter(tenant=tenant, active=True).count() == 30


def test_the_connection_records_the_outcome(synced, bakalari_connection):
    bakalari_connection.refresh_from_db()
    assert bakalari_connection.last_sync_status == "ok"
    assert bakalari_connection.last_success_at == synced.finished_at


def test_dry_run_writes_nothing_but_the_run(bakalari_connection, bakalari_sandbox, tenant):
    # it writes inside a transaction it rolls back, so that its counts are the real ones
    run = run_sync(bakalari_connection, bakalari_sandbox, dry_run=True)
    assert all(rows == [] for rows in snapshot(tenant).values())
    run.refresh_from_db()
    assert run.dry_run and run.status == SyncRun.Status.OK
    assert run.counts["pupil"]["created"] == 598  # what it would have done
    bakalari_connection.refresh_from_db()
    assert bakalari_connection.last_sync_at is None
