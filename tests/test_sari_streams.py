"""SARI course groups and members -> records, with no database: what is stored decides nothing
here (a course's stored key, its held parts, its status are the writer's)."""

from datetime import date, datetime

from sync.sources.sari import streams
from sync.sources.sari.client import CourseGroup, CoursePart, Member, Venue
from sync.sources.sari.formats import ZURICH

LACHEN = Venue("Verkehrsschulungsraum Lachen", "Seestrasse 12", "8853", "Lachen")


def part(part_id: int, day: int, free_places: int | None = 12) -> CoursePart:
    starts = datetime(2026, 3, day, 18, 0, tzinfo=ZURICH)
    return CoursePart(part_id, f"VKU Teil {part_id % 10}", starts, LACHEN, free_places)


def lachen(*parts: CoursePart) -> CourseGroup:
    return CourseGroup("VKU", "Verkehrskunde Lachen", None, parts)


def member(faber_id: str, confirmed_on: date | None = None) -> Member:
    return Member(faber_id, faber_id.zfill(9), "Lea", "Muster", date(2008, 5, 1), confirmed_on)


def test_a_course_offers_its_lowest_part_id_and_names_its_parts_in_order():
    (course,) = streams.course_records([lachen(part(2110004, 13), part(2110003, 11))])
    assert course.key == "2110003"
    assert course.parts == ("2110004", "2110003")  # as listed: the writer tries them in turn
    assert course.scope == "VKU"


def test_a_course_starts_with_its_first_listed_part_and_leaves_its_status_to_the_writer():
    (course,) = streams.course_records([lachen(part(2110003, 11), part(2110004, 13))])
    assert course.values == {
        "course_type": "VKU",
        "name": "Verkehrskunde Lachen",
        "starts_at": datetime(2026, 3, 11, 18, 0, tzinfo=ZURICH),
    }


def test_sessions_are_keyed_on_their_part_and_link_to_the_key_their_course_offers():
    group = lachen(part(2110003, 11), part(2110004, 13, free_places=None))
    first, second = streams.session_records([group])
    assert (first.key, second.key) == ("2110003", "2110004")
    assert first.links == second.links == {"course": ("course", "2110003")}
    assert second.scope == "VKU"
    assert second.values == {
        "name": "VKU Teil 4",
        "starts_at": datetime(2026, 3, 13, 18, 0, tzinfo=ZURICH),
        "venue_name": "Verkehrsschulungsraum Lachen",
        "venue_address": "Seestrasse 12",
        "venue_zip": "8853",
        "venue_city": "Lachen",
        "free_places": None,
    }


def test_a_held_part_is_simply_not_listed_so_it_makes_no_record():
    later = lachen(part(2110004, 13))  # part 3 was held and dropped out of the group
    assert [s.key for s in streams.session_records([later])] == ["2110004"]
    assert streams.course_records([later])[0].key == "2110004"  # the writer finds 2110003 again


def test_participants_are_keyed_on_part_and_canonical_faber_id_scoped_by_their_part():
    confirmed = member("7181751", confirmed_on=date(2026, 3, 1))
    records = streams.participant_records({2110012: [confirmed, member("12345678")]})
    assert [r.key for r in records] == ["2110012:7181751", "2110012:12345678"]
    assert {r.scope for r in records} == {"2110012"}
    assert records[0].links == {"session": ("session", "2110012")}
    assert records[0].values == {
        "faber_id": "7181751",
        "first_name": "Lea",
        "last_name": "Muster",
        "birthdate": date(2008, 5, 1),
        "confirmed_on": date(2026, 3, 1),
    }


def test_a_part_with_no_members_makes_no_participants():
    assert streams.participant_records({2110012: []}) == []
