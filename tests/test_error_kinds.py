"""Every error kind a run can record says what to do about it, in the alerts and in the guide's
troubleshooting table."""

import re
from pathlib import Path

from sync.upstream.errors import OTHER_REMEDIES, SyncError, all_subclasses, remedy_for

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "operations.md"

KINDS = {error.kind for error in (SyncError, *all_subclasses(SyncError))} | set(OTHER_REMEDIES)


def test_the_kinds_a_run_can_record_are_known():
    assert {"internal", "upstream", "broker", "lease_lost", "abandoned", "database"} <= KINDS


def test_every_kind_but_internal_has_a_remedy_of_its_own():
    for kind in KINDS - {"internal"}:
        assert remedy_for(kind) != SyncError.remedy, kind


def test_the_guides_troubleshooting_table_has_one_row_for_every_kind():
    section = GUIDE.read_text().split("## 5. Troubleshooting")[1].split("\n## ")[0]
    assert sorted(re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE)) == sorted(KINDS)
