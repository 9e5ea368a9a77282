"""Marks from the grade book of each teaching assignment: created, changed, gone, kept."""

from datetime import date

import pytest

from sync.models import ExternalRef, SyncRun
from sync.sources.bakalari import dataset
from sync.sources.bakalari.models import Enrolment, Mark
from sync.sources.bakalari.sandbox import marks_payload
from tests.edited_answers import edited
from tests.sync_helpers import run_sync, snapshot, sync_writing

pytestmark = pytest.mark.django_db

ROSTERS = r"/api/3/marking/marks/"


@pytest.fixture
def school(bakalari_sandbox):
    return bakalari_sandbox.school


@pytest.fixture
def graded(school):
    """Every mark the sandbox gives the demo account, by id, with its teaching assignment."""
    account = school.account(dataset.DEMO_USERNAME)
    return {
        mark["Id"]: (atom, mark)
        for atom in school.atoms_of(account)
        for mark in marks_payload(school, atom)["Marks"]
    }


def test_every_mark_is_created_with_its_pupil_and_subject(bakalari_synced, graded, tenant):
    marks = Mark.objects.filter(tenant=tenant).select_related("pupil", "subject")
    assert {mark.external_id for mark in marks} == set(graded)
    assert bakalari_synced.counts["mark"]["created"] == len(graded)
    mark = marks.get(external_id=next(iter(graded)))
    atom, upstream = graded[mark.external_id]
    assert mark.pupil.external_id == upstream["StudentId"]
    assert mark.subject.external_id == atom.subject_id
    assert mark.atom_id == atom.id
    assert mark.value == upstream["MarkValue"]
    assert mark.theme == "Písemná práce"
    assert mark.marked_on in (date(2025, 10, 8), date(2026, 3, 30))
    assert mark.edited_at == mark.published_at is not None
    assert mark.confirmation == "None"
    ref = ExternalRef.objects.get(tenant=tenant, kind="mark", external_id=mark.external_id)
    assert ref.scope == atom.id


def test_a_second_run_writes_no_mark(
    bakalari_synced, bakalari_connection, bakalari_sandbox, graded
):
    run, written = sync_writing(bakalari_connection, bakalari_sandbox)
    assert written == []
    assert run.counts["mark"]["unchanged"] == len(graded)


def test_a_changed_mark_updates_exactly_that_row(
    bakalari_synced, bakalari_connection, bakalari_sandbox, graded, tenant
):
    changed = sorted(graded)[7]

    def corrected(payload, path):
        for mark in payload["Marks"]:
            if mark["Id"] == changed:
                mark["MarkValue"], mark["EditDate"] = "1-", "2026-03-31T08:00:00+02:00"
        return payload

    before = snapshot(tenant)["bakalari.Mark"]
    run, written = sync_writing(bakalari_connection, edited(bakalari_sandbox, ROSTERS, corrected))

    assert run.counts["mark"]["updated"] == 1
    assert run.totals()["updated"] == 1
    assert set(written) == {"bakalari_mark", "sync_externalref"}
    after = snapshot(tenant)["bakalari.Mark"]
    rows = [new for old, new in zip(before, after, strict=True) if old != new]
    assert [(row["external_id"], row["value"]) for row in rows] == [(changed, "1-")]


def test_a_mark_deleted_upstream_goes_missing(
    bakalari_synced, bakalari_connection, bakalari_sandbox, graded, tenant
):
    deleted = sorted(graded)[3]

    def without(payload, path):
        payload["Marks"] = [mark for mark in payload["Marks"] if mark["Id"] != deleted]
        return payload

    run = run_sync(bakalari_connection, edited(bakalari_sandbox, ROSTERS, without))

    assert run.counts["mark"]["missing"] == 1
    assert not Mark.objects.get(tenant=tenant, external_id=deleted).active
    assert Mark.objects.filter(tenant=tenant, active=True).count() == len(graded) - 1


def test_marks_of_a_roster_not_fetched_stay(
    bakalari_synced, bakalari_connection, bakalari_sandbox, school, graded, tenant
):
    atom = school.atoms[0]
    school.atoms.remove(atom)  # no longer listed among the grade books: its roster is not read
    kept = {mark_id for mark_id, (of, _) in graded.items() if of is atom}
    assert kept

    run = run_sync(bakalari_connection, bakalari_sandbox)

    assert run.status == SyncRun.Status.OK
    assert run.counts["mark"]["missing"] == 0
    assert run.counts["enrolment"]["missing"] == 0
    stored = Mark.objects.filter(tenant=tenant, external_id__in=kept)
    assert stored.count() == len(kept) and all(mark.active for mark in stored)
    assert Enrolment.objects.filter(tenant=tenant, atom_id=atom.id, active=True).exists()


def test_a_pupils_account_leaves_marks_alone_and_says_why(
    bakalari_synced, bakalari_connection, bakalari_sandbox, graded, tenant
):
    bakalari_sandbox.school.account(dataset.DEMO_USERNAME).user_type = "headmastership"
    run = run_sync(bakalari_connection, bakalari_sandbox)
    assert "Only a teacher account sees pupils, their groups and marks" in run.not_fetched()["mark"]
    assert Mark.objects.filter(tenant=tenant, active=True).count() == len(graded)
