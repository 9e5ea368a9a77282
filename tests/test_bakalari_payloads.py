"""Marks, lessons and event slots from the payload shapes Bakaláři servers send (the public
API notes' examples and those of API 3.52), through the pure stream functions."""

from datetime import date, datetime, time

import pytest

from sync.sources.bakalari import formats, streams
from sync.sources.bakalari.formats import PRAGUE
from sync.sources.bakalari.mirror import who_is_taught
from sync.upstream.errors import ProtocolError

GRADE_BOOK = {  # GET /api/3/marking/marks/{atomId}, API 3.52
    "MarkOptions": [{"Id": "2-", "Abbrev": "2-", "Name": "chvalitebný mínus"}],
    "Marks": [
        {
            "Id": "M0001",
            "MarkDate": "2026-10-05T00:00:00+02:00",
            "EditDate": "2026-10-05T10:15:42.1234567+02:00",
            "TeacherId": "UQX01",
            "HeaderId": "H01",
            "MarkValue": "1",
            "Theme": "Zlomky ",
            "StudentId": "S001",
            "ReadOnly": False,
            "PublishDate": "2026-10-05T10:15:42+02:00",
            "ConfirmedWhen": "2026-10-06T19:02:11+02:00",
            "ConfirmedBy": "ZQ1A2B3C4D5",
            "MarkConfirmationState": "Confirmed",
        },
        {
            "Id": "M0002",
            "MarkDate": "2026-10-05T00:00:00+02:00",
            "EditDate": "2026-10-07T08:01:00+02:00",
            "MarkValue": "2-",
            "Theme": "Zlomky ",
            "StudentId": "S002",
            "PublishDate": None,
            "ConfirmedWhen": None,
            "MarkConfirmationState": "Unconfirmed",
        },
        {"Id": "M0003", "MarkDate": "0001-01-01T00:00:00", "StudentId": "S001", "MarkValue": "N"},
    ],
    "Students": [{"Id": "S001", "ClassId": "2B", "DisplayName": "Pokusný Adam"}],
    "Teachers": [{"Id": "UQX01", "Abbrev": "Te ", "Name": "Testová Ema"}],
}
POINTS = {  # a mark of GET /api/3/marks where the subject is marked in points
    "MarkDate": "2020-01-30T00:00:00+01:00",
    "EditDate": "2020-02-06T13:13:00+01:00",
    "Caption": "1. Statistika",
    "Theme": "",
    "MarkText": "82",
    "Type": "Z",
    "TypeNote": "zkoušení písemné",
    "Weight": None,
    "IsPoints": True,
    "Id": "BOYV.N}FF4",
    "PointsText": "",
    "MaxPoints": 100,
}
WEIGHTED = {"Id": "BNMPSLI70(", "MarkText": "3-", "Type": "O", "Weight": 5, "IsPoints": False}
ATOMS = [{"Id": "A 1", "Subject": {"Id": " 6", "Abbrev": "M", "Name": "Matematika"}}]


def marks(*payloads) -> list:
    return streams.mark_records(ATOMS, {"A 1": who_is_taught({"Marks": list(payloads)})})


def test_a_grade_book_mark_keeps_its_value_dates_and_confirmation():
    first, second, placeholder = streams.mark_records(ATOMS, {"A 1": who_is_taught(GRADE_BOOK)})
    assert first.key == "M0001" and first.scope == "A 1"
    assert first.links == {"pupil": ("pupil", "S001"), "subject": ("subject", " 6")}
    assert first.values == {
        "atom_id": "A 1",
        "value": "1",
        "max_points": None,
        "weight": None,
        "kind": "",
        "theme": "Zlomky",
        "marked_on": date(2026, 10, 5),
        "edited_at": datetime(
            2026, 10, 5, 10, 15, 42, 123456, tzinfo=first.values["edited_at"].tzinfo
        ),
        "published_at": datetime(2026, 10, 5, 10, 15, 42, tzinfo=PRAGUE),
        "confirmation": "Confirmed",
        "confirmed_at": datetime(2026, 10, 6, 19, 2, 11, tzinfo=PRAGUE),
    }
    assert (second.values["value"], second.values["published_at"]) == ("2-", None)
    assert (placeholder.values["value"], placeholder.values["marked_on"]) == ("N", None)


def test_a_pupils_marks_shape_gives_points_weight_and_type():
    (points,) = marks(POINTS)
    assert (points.values["value"], points.values["max_points"]) == ("82", 100)
    assert (points.values["weight"], points.values["kind"]) == (None, "zkoušení písemné")
    assert points.values["theme"] == "1. Statistika"
    (weighted,) = marks(WEIGHTED)
    assert (weighted.values["value"], weighted.values["weight"]) == ("3-", 5)
    assert (weighted.values["kind"], weighted.values["max_points"]) == ("O", None)


def test_points_given_only_as_points_text_are_the_value():
    (mark,) = marks({"Id": "P1", "IsPoints": True, "MarkText": "", "PointsText": "17/20"})
    assert mark.values["value"] == "17/20"


def test_marks_of_one_test_share_their_values():
    same = {"MarkDate": "2026-10-05T00:00:00+02:00", "MarkValue": "1", "Theme": "Zlomky"}
    one, two = marks(
        {**same, "Id": "X1", "StudentId": "S1"}, {**same, "Id": "X2", "StudentId": "S2"}
    )
    assert one.values is two.values


def test_a_mark_without_an_id_is_left_out_and_a_broken_date_fails_the_fetch():
    assert marks({"MarkValue": "1"}, "not a mark") == []
    with pytest.raises(ProtocolError, match="time that cannot be read"):
        who_is_taught({"Marks": [{"Id": "X", "MarkDate": "5. 10. 2026"}]})


PERMANENT = {  # GET /api/3/timetable/permanent, API 3.52 (shortened)
    "Hours": [
        {
            "Id": 3,
            "Caption": "1",
            "BeginTime": "8:00",
            "EndTime": "8:45",
            "Start": 480,
            "Duration": 45,
        },
        {"Id": 4, "Caption": "2", "Start": 535, "Duration": 45},
    ],
    "Days": [
        {
            "DayOfWeek": 1,
            "Atoms": [
                {
                    "HourId": 3,
                    "GroupIds": ["G1"],
                    "SubjectId": " 2",
                    "TeacherId": "T1",
                    "RoomId": "R1",
                    "CycleIds": ["0", "1"],
                },
                {
                    "HourId": 4,
                    "GroupIds": ["G2"],
                    "SubjectId": "10",
                    "TeacherId": "T2",
                    "RoomId": "R2",
                    "CycleIds": ["0"],
                },
                {
                    "HourId": 4,
                    "GroupIds": ["G2"],
                    "SubjectId": "11",
                    "TeacherId": "T3",
                    "RoomId": "R2",
                    "CycleIds": ["1"],
                },
                {
                    "HourId": 4,
                    "GroupIds": ["G2"],
                    "SubjectId": None,
                    "TeacherId": None,
                    "CycleIds": ["1"],
                },
            ],
        }
    ],
    "Groups": [
        {"ClassId": "0E", "Id": "G1", "Abbrev": "1.A", "Name": "Prima A"},
        {"ClassId": "0E", "Id": "G2", "Abbrev": "1.A Chl", "Name": "Prima A chlapci"},
    ],
    "Cycles": [
        {"Id": "0", "Abbrev": "P", "Name": "První"},
        {"Id": "1", "Abbrev": "D", "Name": "Druhý"},
    ],
}


def reordered(timetable: dict) -> dict:
    days = [{**day, "Atoms": day["Atoms"][::-1]} for day in timetable["Days"][::-1]]
    return {**timetable, "Days": days, "Hours": timetable["Hours"][::-1]}


def test_lessons_of_odd_and_even_weeks_are_two_lessons_with_their_hours():
    every_week, odd, even = streams.lesson_records(PERMANENT)
    assert every_week.key == "1|3|G1|0,1| 2"
    assert every_week.values == {
        "day_of_week": 1,
        "hour_id": 3,
        "hour": "1",
        "begins": time(8, 0),
        "ends": time(8, 45),
        "cycle_ids": "0,1",
        "cycles": "První, Druhý",
        "group_ids": "G1",
    }
    assert every_week.links == {
        "school_class": ("class", "0E"),
        "group": ("group", "G1"),
        "subject": ("subject", " 2"),
        "teacher": ("teacher", "T1"),
        "room": ("room", "R1"),
    }
    assert (odd.values["cycles"], even.values["cycles"]) == ("První", "Druhý")
    assert (odd.values["begins"], odd.values["ends"]) == (time(8, 55), time(9, 40))


def test_lessons_keep_their_keys_in_any_order_and_listed_twice():
    keys = sorted(record.key for record in streams.lesson_records(PERMANENT))
    twice = {**PERMANENT, "Days": [{**d, "Atoms": d["Atoms"] * 2} for d in PERMANENT["Days"]]}
    assert sorted(r.key for r in streams.lesson_records(reordered(PERMANENT))) == keys
    assert sorted(r.key for r in streams.lesson_records(twice)) == keys
    by_key = {r.key: r for r in streams.lesson_records(reordered(twice))}
    assert by_key == {r.key: r for r in streams.lesson_records(PERMANENT)}


def test_a_lesson_of_several_groups_and_cycles_in_any_order_is_one_key():
    atom = {"HourId": 3, "SubjectId": "S|1", "CycleIds": ["1", "0"], "GroupIds": ["G,2", "G1"]}
    swapped = {**atom, "CycleIds": ["0", "1"], "GroupIds": ["G1", "G,2"]}
    one = streams.lesson_records({"Days": [{"DayOfWeek": 2, "Atoms": [atom]}]})
    two = streams.lesson_records({"Days": [{"DayOfWeek": 2, "Atoms": [swapped]}]})
    assert [r.key for r in one] == [r.key for r in two] == ["2|3|G\\\\,2,G1|0,1|S\\|1"]
    assert one[0].links["school_class"] == ("class", None)  # no groups listed with a class


EVENT = {  # GET /api/3/events, API 3.52: one event on three days
    "Id": "ZK7M2",
    "Title": "Lyžařský kurz",
    "Times": [
        {
            "WholeDay": True,
            "StartTime": "2027-01-11T00:00:00+01:00",
            "EndTime": "2027-01-11T23:59:00+01:00",
        },
        {
            "WholeDay": True,
            "StartTime": "2027-01-12T00:00:00+01:00",
            "EndTime": "2027-01-12T23:59:00+01:00",
        },
        {
            "WholeDay": False,
            "StartTime": "2027-01-13T08:00:00.0000000+01:00",
            "EndTime": "2027-01-13T12:00:00+01:00",
        },
    ],
    "EventType": {"Id": "SA", "Abbrev": "škol", "Name": "školní akce"},
    "DateChanged": "2026-12-01T10:00:00+01:00",
}


def test_an_event_keeps_each_slot_and_spans_them():
    (event,) = streams.event_records({"Events": [EVENT]})
    slots = streams.event_time_records({"Events": [EVENT]})
    assert [slot.values["starts_at"].day for slot in slots] == [11, 12, 13]
    assert [slot.values["whole_day"] for slot in slots] == [True, True, False]
    assert {slot.links["event"] for slot in slots} == {("event", "ZK7M2")}
    assert slots[2].key == "ZK7M2|2027-01-13T08:00:00+01:00"
    assert event.values["starts_at"] == datetime(2027, 1, 11, tzinfo=PRAGUE)
    assert event.values["ends_at"] == datetime(2027, 1, 13, 12, tzinfo=PRAGUE)
    assert event.values["whole_day"] is False  # not every slot is whole-day


def test_clock_times_are_read_from_text_or_minutes():
    assert formats.parse_clock("7:05") == time(7, 5)
    assert formats.parse_clock(None, 710) == time(11, 50)
    assert formats.parse_clock("7.05") is None
    assert formats.parse_clock("25:00", True) is None
