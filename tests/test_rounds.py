"""A scheduled tick syncs each connection once, however many processes or machines it fires on;
any other trigger asks for fresh data and syncs again."""

from datetime import datetime

import pytest

from sync.run.engine import sync_many
from sync.run.schedule import last_tick

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("expression", "now", "tick"),
    [
        ("*/15 * * * *", datetime(2026, 11, 23, 10, 14, 59), datetime(2026, 11, 23, 10, 0)),
        ("*/15 * * * *", datetime(2026, 11, 23, 10, 15, 0), datetime(2026, 11, 23, 10, 15)),
        ("0 3 * * *", datetime(2026, 11, 23, 2, 0), datetime(2026, 11, 22, 3, 0)),
        ("30 6 * * 1-5", datetime(2026, 11, 23, 6, 0), datetime(2026, 11, 20, 6, 30)),  # Monday
    ],
)
def test_the_latest_tick_of_a_schedule(expression, now, tick):
    assert last_tick(expression, now) == tick


def test_a_second_run_of_the_same_tick_is_skipped(served, settings):
    settings.SYNC_SCHEDULE = "0 3 * * *"  # one tick a day: no new round starts mid-test
    connection = served.connect("autoskola", source="sari")

    (first,) = sync_many([connection], trigger="cron")
    (second,) = sync_many([connection], trigger="cron")

    assert first.status == "ok"
    assert second.status == "skipped"
    assert second.error_message == f"Skipped: run {first.pk} synced this connection in this round."
    assert len(served.apps["sari"].requests) == first.requests_made, "the second asked nothing"


def test_a_failed_run_does_not_count_for_the_round(served, settings):
    settings.SYNC_SCHEDULE = "0 3 * * *"
    connection = served.connect("autoskola", source="sari")
    served.apps["sari"].faults.inject("error", status=503, count=100)
    settings.SYNC_HTTP_RETRY = {**settings.SYNC_HTTP_RETRY, "attempts": 1}

    (failed,) = sync_many([connection], trigger="cron")
    asked_by_the_failed_run = len(served.apps["sari"].requests)
    served.apps["sari"].faults.clear()
    (retried,) = sync_many([connection], trigger="cron")

    assert (failed.status, retried.status) == ("failed", "ok")
    assert asked_by_the_failed_run == failed.requests_made == 1, "its one attempt, not retried"


def test_an_operator_run_after_the_tick_syncs_again(served, settings):
    settings.SYNC_SCHEDULE = "0 3 * * *"
    connection = served.connect("autoskola", source="sari")

    (scheduled,) = sync_many([connection], trigger="cron")
    (by_hand,) = sync_many([connection], trigger="cli")

    assert (scheduled.status, by_hand.status) == ("ok", "ok")
