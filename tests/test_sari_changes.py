"""Changes to the sandbox's data between calls reach the client as SARI would show them."""

from datetime import date, datetime, timedelta

from sync.sources.sari import dataset
from sync.sources.sari.formats import ZURICH


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 4, day, hour, minute, tzinfo=ZURICH)


def group_named(client, course_type: str, name: str):
    return next(g for g in client.courses(course_type) if g.name == name)


def test_a_new_group_appears_with_fresh_part_ids(sari_client, sari_sandbox):
    starts = [at(13, 8), at(20, 8), at(27, 8)]
    sari_sandbox.data.add_group("PGS", "PGS Siebnen", starts, dataset.GALGENEN)
    group = group_named(sari_client, "PGS", "PGS Siebnen")
    assert group.part_ids == {2110027, 2110028, 2110029}
    assert [part.name for part in group.parts] == ["PGS Teil 1", "PGS Teil 2", "PGS Teil 3"]
    assert [part.free_places for part in group.parts] == [5, 5, 5]


def test_a_moved_part_keeps_its_id_and_takes_its_new_place_in_order(sari_client, sari_sandbox):
    moved = datetime(2026, 3, 30, 17, 45, tzinfo=ZURICH)  # part 4 before part 3 now
    sari_sandbox.data.move_part(2110011, moved)
    group = group_named(sari_client, "VKU", "Verkehrskunde Pfäffikon")
    assert [part.id for part in group.parts] == [2110008, 2110009, 2110011, 2110010]
    assert group.parts[2].starts_at == moved


def test_a_new_venue(sari_client, sari_sandbox):
    sari_sandbox.data.change_venue(2110005, dataset.LACHEN)
    part = sari_client.courses("PGS")[0].parts[0]
    assert (part.id, part.venue.city, part.venue.zip) == (2110005, "Lachen", "8853")


def test_a_cancelled_part_leaves_its_group(sari_client, sari_sandbox):
    sari_sandbox.data.cancel_part(2110006)
    assert sari_client.courses("PGS")[0].part_ids == {2110005, 2110007}


def test_a_cancelled_group_leaves_the_list(sari_client, sari_sandbox):
    sari_sandbox.data.cancel_group(2110006)
    assert [g.name for g in sari_client.courses("PGS")] == ["PGS Galgenen Sommer"]


def test_cancelling_every_part_cancels_the_group(sari_client, sari_sandbox):
    for part_id in (2110016, 2110017, 2110018):
        sari_sandbox.data.cancel_part(part_id)
    assert [g.name for g in sari_client.courses("PGS")] == ["PGS Galgenen"]


def test_time_passing_drops_parts_and_closes_deadlines(sari_client, sari_sandbox):
    sari_sandbox.advance(timedelta(days=15))  # 25 March: PGS part 1 (19 March) is past
    pgs = sari_client.courses("PGS")[0]
    assert pgs.part_ids == {2110006, 2110007}
    assert [part.free_places for part in pgs.parts] == [0, 3]  # 26 March closed on the 24th


def test_reordering_changes_nothing_the_client_returns(sari_client, sari_sandbox):
    before = sari_client.courses("PGS"), sari_client.courses("VKU")
    sari_sandbox.data.reverse_order()
    assert (sari_client.courses("PGS"), sari_client.courses("VKU")) == before


def test_members_added_confirmed_and_removed(sari_client, sari_sandbox):
    data = sari_sandbox.data
    data.enrol(2110012, dataset.ELENA)
    data.enrol(2110012, "007181751", confirmed=date(2026, 3, 1))
    members = sari_client.course_detail(2110012)
    assert [(m.faber_id, m.confirmed) for m in members] == [
        (dataset.ELENA, False),
        (dataset.LEA, True),
    ]
    data.confirm(2110012, dataset.ELENA, date(2026, 3, 10))
    assert sari_client.course_detail(2110012)[0].confirmed_on == date(2026, 3, 10)
    data.unenrol(2110012, dataset.LEA)
    assert [m.faber_id for m in sari_client.course_detail(2110012)] == [dataset.ELENA]
