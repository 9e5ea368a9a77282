"""What a run covered of what is known to exist, for sources whose accounts each see a part.

A stream that declares a `coverage_unit` is measured in the keys of that unit (the classes
whose pupils were read, the teachers whose grade books were); what is known of the unit is what
this run's answers list of it and what the mirror holds of it still present upstream. Known is
not the whole tenant: an API without list-all endpoints names only what some account meets, so
covering all that is known proves nothing beyond it, and the run says that too.
"""

from sync.models import ExternalRef


def measured(connection, streams, batches, accounts: dict[str, str]) -> dict:
    """{"streams": [{stream, covered, known, text}, ...] in the source's order (a list: a
    PostgreSQL JSON column keeps no key order), "accounts": {login: "ok" or why not}}; empty
    for a source that measures nothing. Read before the run writes anything."""
    units = {stream.coverage_unit for stream in streams if stream.coverage_unit}
    if not units:
        return {"accounts": accounts} if accounts else {}
    known = {unit: known_keys(connection, unit, batches.get(unit)) for unit in units}
    measures = []
    for stream in streams:
        batch = batches.get(stream.kind)
        if not stream.coverage_unit or batch is None or batch.not_fetched or batch.covers is None:
            continue
        of = known[stream.coverage_unit] | batch.covers
        covered = len(batch.covers)
        measures.append(
            {
                "stream": stream.kind,
                "covered": covered,
                "known": len(of),
                "text": stream.coverage_text.format(covered=covered, known=len(of)),
            }
        )
    # Whether what is known came from a list of the whole tenant, not only from what was met.
    whole = all(batches[unit].known for unit in units if unit in batches)
    result = {"streams": measures, "whole_known": whole}
    if accounts:
        result["accounts"] = accounts
    return result


def known_keys(connection, unit: str, batch) -> set[str]:
    """The keys of `unit` this run's answers list, and those the mirror holds as present."""
    listed = set()
    if batch is not None:
        listed = set(batch.known) | {record.key for record in batch.records}
    stored = ExternalRef.objects.filter(
        tenant_id=connection.tenant_id,
        source=connection.source,
        kind=unit,
        missing_since__isnull=True,
    ).values_list("external_id", flat=True)
    return listed | set(stored)


HEADLINES = {
    "partial": "Partial coverage: the accounts read see only part of what is known to exist. "
    "Add accounts that see the rest.",
    "complete": "Everything known to exist was covered, as the source's list of the whole "
    "tenant shows.",
    "unverified": "Covered all that the accounts met; the source lists nothing beyond that, so "
    "what no account meets is unknown.",
}


def described(coverage: dict) -> dict | None:
    """A run's or connection's coverage for people: {state, headline, lines, gaps (the lines
    of the streams covered in part), accounts}; None
    where nothing was measured. The state is "partial" when some stream covered less than is
    known, "complete" when all is covered of a list of the whole tenant, else "unverified"."""
    measures = (coverage or {}).get("streams")
    if not measures:
        return None
    if any(m["covered"] < m["known"] for m in measures):
        state = "partial"
    else:
        state = "complete" if coverage.get("whole_known") else "unverified"
    return {
        "state": state,
        "headline": HEADLINES[state],
        "lines": [m["text"] for m in measures],
        "gaps": [m["text"] for m in measures if m["covered"] < m["known"]],
        "accounts": coverage.get("accounts", {}),
    }
