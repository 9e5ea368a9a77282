"""A school read through several teachers' accounts: each sees its slice, the run unites them.

Against the faithful sandbox: a teacher sees their own timetable and the rosters of the groups
they teach, nothing more; the run says what it covered of what is known.
"""

import pytest

from sync.models import ExternalRef, SyncRun
from sync.run.coverage import described
from sync.sources.bakalari import dataset
from sync.sources.bakalari.models import Enrolment, Lesson, Mark, Pupil, SchoolClass
from tenants.models import Account
from tests.sync_helpers import run_sync

pytestmark = pytest.mark.django_db

SECOND = (dataset.TEACHER_USERNAME, dataset.TEACHER_PASSWORD)
THIRD = (dataset.THIRD_TEACHER_USERNAME, dataset.THIRD_TEACHER_PASSWORD)


def add_accounts(connection, *logins):
    for username, password in logins:
        Account.objects.create(
            connection=connection, username=username, secrets={"password": password}
        )


def seen_by(school, username):
    """What the sandbox school shows one account: its pupils, lessons, assignments, classes."""
    account = school.account(username)
    atoms = school.atoms_of(account)
    pupils = {p.id for atom in atoms for p in school.members(school.group(atom.group_id))}
    return {
        "pupils": pupils,
        "atoms": {atom.id for atom in atoms},
        "lessons": len(school.lessons_of(account)),
        "classes": school.class_ids_of(account),
    }


def active_keys(model, tenant):
    return set(
        model.objects.filter(tenant=tenant, active=True).values_list("external_id", flat=True)
    )


def test_one_teacher_mirrors_only_its_slice_and_says_so(bakalari_connection, bakalari_sandbox):
    school = bakalari_sandbox.school
    mine = seen_by(school, dataset.DEMO_USERNAME)

    run = run_sync(bakalari_connection, bakalari_sandbox)

    tenant = bakalari_connection.tenant
    assert run.status == SyncRun.Status.OK, run.error_message
    assert active_keys(Pupil, tenant) == mine["pupils"]
    assert len(mine["pupils"]) < len(school.pupils)
    assert {e.atom_id for e in Enrolment.objects.filter(tenant=tenant)} == mine["atoms"]
    assert Lesson.objects.filter(tenant=tenant).count() == mine["lessons"]
    assert active_keys(SchoolClass, tenant) == mine["classes"]
    by_stream = {m["stream"]: m for m in run.coverage["streams"]}
    assert by_stream["pupil"] == {
        "stream": "pupil",
        "covered": len(mine["classes"]),
        "known": len(school.classes),  # the public timetable lists them all
        "text": f"pupils of {len(mine['classes'])} of {len(school.classes)} known classes",
    }
    assert described(run.coverage)["state"] == "partial"
    assert run.coverage["whole_known"]
    assert (by_stream["enrolment"]["covered"], by_stream["enrolment"]["known"]) == (1, 42)
    assert (by_stream["lesson"]["covered"], by_stream["lesson"]["known"]) == (1, 42)
    assert "known teachers" in by_stream["enrolment"]["text"]


def test_three_accounts_unite_their_slices_without_duplicates(
    bakalari_connection, bakalari_sandbox
):
    school = bakalari_sandbox.school
    add_accounts(bakalari_connection, SECOND, THIRD)
    slices = [seen_by(school, name) for name, _ in dataset.DEMO_ACCOUNTS]

    run = run_sync(bakalari_connection, bakalari_sandbox)

    tenant = bakalari_connection.tenant
    assert run.status == SyncRun.Status.OK, run.error_message
    pupils = set().union(*(s["pupils"] for s in slices))
    assert active_keys(Pupil, tenant) == pupils
    assert sum(len(s["pupils"]) for s in slices) > len(pupils)  # the slices overlap
    atoms = set().union(*(s["atoms"] for s in slices))
    assert {e.atom_id for e in Enrolment.objects.filter(tenant=tenant)} == atoms
    lessons = {
        (x.day, x.hour_id, x.group_id)
        for x in school.lessons
        if x.teacher_id in {school.account(n).person_id for n, _ in dataset.DEMO_ACCOUNTS}
    }
    assert Lesson.objects.filter(tenant=tenant).count() == len(lessons)
    refs = ExternalRef.objects.filter(tenant=tenant)
    assert refs.count() == refs.values("kind", "external_id").distinct().count()
    assert run.coverage["accounts"] == dict.fromkeys((n for n, _ in dataset.DEMO_ACCOUNTS), "ok")
    assert run.requests_made == len(bakalari_sandbox.requests)  # every login's, once
    by_stream = {m["stream"]: m for m in run.coverage["streams"]}
    assert (by_stream["enrolment"]["covered"], by_stream["enrolment"]["known"]) == (3, 42)
    assert by_stream["pupil"]["covered"] == len(set().union(*(s["classes"] for s in slices)))
    assert described(run.coverage)["state"] == "partial"


def test_without_a_public_timetable_coverage_is_of_what_the_accounts_met(
    bakalari_connection, bakalari_sandbox
):
    bakalari_sandbox.public_timetable = False

    run = run_sync(bakalari_connection, bakalari_sandbox)

    assert run.status == SyncRun.Status.OK, run.error_message
    assert not run.coverage["whole_known"]
    pupils = next(m for m in run.coverage["streams"] if m["stream"] == "pupil")
    assert pupils["known"] == len(
        seen_by(bakalari_sandbox.school, dataset.DEMO_USERNAME)["classes"]
    )


def test_a_failing_account_leaves_the_others_written_and_the_run_partial(
    bakalari_connection, bakalari_sandbox
):
    add_accounts(bakalari_connection, SECOND, THIRD)
    run_sync(bakalari_connection, bakalari_sandbox)
    tenant = bakalari_connection.tenant
    before = active_keys(Pupil, tenant)
    Account.objects.filter(username=dataset.THIRD_TEACHER_USERNAME).update(
        secrets={"password": "wrong"}, session={}
    )
    school = bakalari_sandbox.school
    first = sorted(seen_by(school, dataset.DEMO_USERNAME)["pupils"])[0]
    school.rename_pupil(first, first_name="Přejmenovaný")
    school.remove_pupil(sorted(seen_by(school, dataset.THIRD_TEACHER_USERNAME)["pupils"])[0])

    run = run_sync(bakalari_connection, bakalari_sandbox)

    assert run.status == SyncRun.Status.PARTIAL
    assert f"“{dataset.THIRD_TEACHER_USERNAME}” could not be read" in run.error_message
    assert run.coverage["accounts"][dataset.TEACHER_USERNAME] == "ok"
    assert run.coverage["accounts"][dataset.THIRD_TEACHER_USERNAME] != "ok"
    assert active_keys(Pupil, tenant) == before  # what only the third saw is kept, even gone
    assert Pupil.objects.filter(tenant=tenant, first_name="Přejmenovaný").exists()
    assert "wrong" not in run.error_message


def test_every_account_failing_fails_the_run(bakalari_connection, bakalari_sandbox):
    add_accounts(bakalari_connection, (dataset.TEACHER_USERNAME, "wrong"))
    bakalari_connection.secrets = {"password": "also-wrong"}
    bakalari_connection.save()

    run = run_sync(bakalari_connection, bakalari_sandbox)

    assert run.status == SyncRun.Status.FAILED
    assert run.error_kind == "bad_credentials"
    assert "No account could be read" in run.error_message
    assert dataset.TEACHER_USERNAME in run.error_message


def test_a_pupil_who_left_one_group_but_is_in_anothers_stays_active(
    bakalari_connection, bakalari_sandbox
):
    school = bakalari_sandbox.school
    add_accounts(bakalari_connection, SECOND)
    first, second = (seen_by(school, name) for name, _ in dataset.DEMO_ACCOUNTS[:2])
    pupil_id = sorted(first["pupils"] & second["pupils"])[0]
    run_sync(bakalari_connection, bakalari_sandbox)
    tenant = bakalari_connection.tenant
    # The pupil leaves every group the first teacher teaches them in.
    mine = [a for a in school.atoms_of(school.account(dataset.DEMO_USERNAME))]
    left = [a.id for a in mine if pupil_id in {p.id for p in school.taught(a)}]
    for atom_id in left:
        school.leave_assignment(pupil_id, atom_id)

    run = run_sync(bakalari_connection, bakalari_sandbox)

    assert run.status == SyncRun.Status.OK, run.error_message
    assert Pupil.objects.get(tenant=tenant, external_id=pupil_id).active
    enrolments = Enrolment.objects.filter(tenant=tenant, pupil__external_id=pupil_id)
    assert {e.atom_id for e in enrolments.filter(active=False)} == set(left)
    assert enrolments.filter(active=True).exists()  # the second teacher's


def test_a_pupil_only_one_account_saw_goes_missing_when_it_no_longer_lists_them(
    bakalari_connection, bakalari_sandbox
):
    school = bakalari_sandbox.school
    add_accounts(bakalari_connection, THIRD)
    third = seen_by(school, dataset.THIRD_TEACHER_USERNAME)
    pupil_id = sorted(third["pupils"] - seen_by(school, dataset.DEMO_USERNAME)["pupils"])[0]
    run_sync(bakalari_connection, bakalari_sandbox)
    school.remove_pupil(pupil_id)

    run = run_sync(bakalari_connection, bakalari_sandbox)

    assert run.status == SyncRun.Status.OK, run.error_message
    assert not Pupil.objects.get(tenant=bakalari_connection.tenant, external_id=pupil_id).active


def test_a_refused_grade_book_leaves_the_other_streams_written(
    bakalari_connection, bakalari_sandbox
):
    bakalari_sandbox.refuse_marking = {dataset.DEMO_USERNAME}

    run = run_sync(bakalari_connection, bakalari_sandbox)

    assert run.status == SyncRun.Status.OK, run.error_message
    unread = run.not_fetched()
    assert set(unread) == {"pupil", "enrolment", "mark"}
    assert "HTTP 403" in unread["pupil"]
    assert Lesson.objects.filter(tenant=bakalari_connection.tenant).exists()
    assert not Mark.objects.filter(tenant=bakalari_connection.tenant).exists()
