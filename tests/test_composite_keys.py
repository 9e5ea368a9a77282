"""Keys built of several upstream ids never collide, whatever characters the ids hold."""

import itertools

import pytest

from sync.models import SyncRun
from sync.sources.bakalari import dataset
from sync.sources.bakalari.models import Enrolment
from sync.sources.bakalari.sandbox import BakalariSandbox
from sync.sources.streams import composite_key
from tests.fixtures_bakalari import BAKALARI_PREFIX
from tests.reliability_helpers import small_school
from tests.sync_helpers import run_sync


def test_ids_without_separator_or_escape_give_the_key_stored_before():
    assert composite_key("A", "B") == "A|B"
    assert composite_key(" 1A", "U  12") == " 1A|U  12"  # Bakaláři's spaces kept
    assert composite_key(2110012, "7181751", separator=":") == "2110012:7181751"


def test_a_separator_inside_an_id_moves_no_boundary():
    assert composite_key("A|B", "C") != composite_key("A", "B|C")
    assert composite_key("1:2", "3", separator=":") != composite_key("1", "2:3", separator=":")


def test_an_escape_inside_an_id_moves_no_boundary_either():
    assert composite_key("A\\", "B") != composite_key("A\\|B")
    assert composite_key("A\\|", "B") != composite_key("A", "\\|B")


def test_no_two_lists_of_ids_share_a_key():
    ids = ["".join(chars) for n in range(3) for chars in itertools.product("a|\\", repeat=n)]
    lists = [combo for n in (1, 2, 3) for combo in itertools.product(ids, repeat=n)]
    keys = {composite_key(*combo) for combo in lists}
    assert len(keys) == len(lists)


@pytest.mark.parametrize("separator", ["", "||", "\\"])
def test_a_separator_must_be_one_character_other_than_the_escape(separator):
    with pytest.raises(ValueError, match="one character"):
        composite_key("A", "B", separator=separator)


def colliding_school() -> tuple[dataset.School, list[tuple[str, str]]]:
    """Two classes whose teaching assignment and pupil ids join to the same text with "|":
    assignment "A|B" with pupil "C", and assignment "A" with pupil "B|C"."""
    school = small_school()
    pairs = []
    for school_class, atom_id, pupil_id in zip(
        school.classes, ("A|B", "A"), ("C", "B|C"), strict=True
    ):
        group = next(g for g in school.groups if g.class_id == school_class.id and not g.half)
        atom, *others = [a for a in school.atoms if a.group_id == group.id]
        school.atoms = [a for a in school.atoms if a not in others]  # the sync account sees it
        pupil = school.members(group)[0]
        atom.id, pupil.id = atom_id, pupil_id
        pairs.append((atom_id, pupil_id))
    return school, pairs


@pytest.mark.django_db
def test_enrolments_whose_joined_ids_collide_are_both_mirrored(
    bakalari_connection, bakalari_clock, tenant
):
    school, pairs = colliding_school()
    sandbox = BakalariSandbox(BAKALARI_PREFIX, school=school, clock=bakalari_clock)

    run = run_sync(bakalari_connection, sandbox)

    assert run.status == SyncRun.Status.OK, run.error_message
    enrolments = Enrolment.objects.filter(tenant=tenant)
    for atom_id, pupil_id in pairs:
        assert enrolments.filter(atom_id=atom_id, pupil__external_id=pupil_id).exists()
    account = school.account(dataset.DEMO_USERNAME)
    taught = sum(len(school.members(school.group(a.group_id))) for a in school.atoms_of(account))
    assert run.counts["enrolment"]["created"] == enrolments.count() == taught
    assert enrolments.filter(external_id="A\\|B|C").exists()
    plain = enrolments.exclude(atom_id__in=["A|B", "A"]).first()
    assert plain.external_id == f"{plain.atom_id}|{plain.pupil.external_id}"
