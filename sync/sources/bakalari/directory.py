"""The school's directory from its public timetable page, where the school publishes one.

API v3 has no list of a whole school; the public timetable's start page (`/Timetable/Public`,
HTML, no login) offers every class, teacher and room of the school in three `<select>`s
(`#selectedClass`, `#selectedTeacher`, `#selectedRoom`). The sync reads only their ids, to
say how much of the school its accounts covered; nothing of the page is mirrored.
"""

from html.parser import HTMLParser

SELECTS = {"selectedClass": "class", "selectedTeacher": "teacher", "selectedRoom": "room"}


class DirectoryParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, set[str]] = {}
        self.current: str | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        if tag == "select":
            self.current = SELECTS.get(attributes.get("id") or "")
            if self.current:
                self.ids.setdefault(self.current, set())
        elif tag == "option" and self.current and (attributes.get("value") or "").strip():
            self.ids[self.current].add(attributes["value"])  # ids are verbatim: " 6" is not "6"

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.current = None


def parse(html: str) -> dict[str, frozenset[str]]:
    """{"class": ids, "teacher": ids, "room": ids} for each select the page has; {} for a page
    without them (a login page the server sent instead)."""
    parser = DirectoryParser()
    parser.feed(html)
    parser.close()
    return {kind: frozenset(ids) for kind, ids in parser.ids.items() if ids}
