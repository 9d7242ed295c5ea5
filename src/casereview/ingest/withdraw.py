"""Records and mentions that a full re-export no longer has: marked withdrawn, never deleted.

A file of a mapping (its role) is a full export unless the mapping says `export: incremental`.
After a full export of a role is loaded, every record (or mention) that an earlier import of
that role wrote and that this export does not have is marked withdrawn (`withdrawn_at`, and
for records the import that noticed it). A row of the export that was quarantined but whose
key could be read still counts as present: the stored record is then kept as it was, not
withdrawn. A withdrawn record or mention that an export has again is reinstated. The review
stage flags the review items of withdrawn records for another look.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from casereview.ingest.bulk import BulkWriter

__all__ = ["Presence", "Withdrawal", "withdraw_missing"]


@dataclass
class Presence:
    """What one export file holds: keys loaded, and keys of rows or items quarantined."""

    refs: set[str] = field(default_factory=set)  # record refs of quarantined rows
    keys: set[str] = field(default_factory=set)  # mention keys of quarantined rows or items


@dataclass(frozen=True)
class Withdrawal:
    records: int = 0
    mentions: int = 0
    reinstated: int = 0


def withdraw_missing(
    writer: BulkWriter,
    role: str,
    loaded_refs: set[str],
    loaded_keys: set[str],
    present: Presence,
    *,
    full: bool,
) -> Withdrawal:
    """Mark withdrawn what earlier imports of `role` wrote and this export lacks (a `full`
    export only); reinstate what it has again (see the module)."""
    sid, iid, now = writer.source_id, writer.import_id, writer.now
    cursor = writer.cursor
    sql = writer.sql
    cursor.execute(
        sql("SELECT id FROM imports WHERE source_id = ? AND file_role = ? AND id <> ?"),
        (sid, role, iid),
    )
    earlier = [int(r[0]) for r in cursor.fetchall()]
    if not earlier:
        return Withdrawal()  # the role's first import: nothing can be missing from it
    of_role = [*earlier, iid]
    # A full export is compared with everything of its role; an incremental one can only
    # bring back what was withdrawn.
    only = "" if full else "withdrawn_at IS NOT NULL AND "
    records = writer.select_in(
        f"SELECT id, source_ref, withdrawn_at FROM records WHERE source_id = ? AND {only}"  # noqa: S608  # nosec B608
        "import_id",
        (sid,),
        of_role,
    )
    refs_here = loaded_refs | present.refs
    gone = [(rid,) for rid, ref, at in records if full and at is None and ref not in refs_here]
    back = [(rid,) for rid, ref, at in records if at is not None and ref in refs_here]
    kept_records = {int(rid) for rid, ref, _ in records if ref in present.refs}
    mentions = writer.select_in(
        "SELECT id, mention_key, record_id, withdrawn_at FROM mentions WHERE source_id = ? "  # noqa: S608  # nosec B608
        f"AND {only}import_id",
        (sid,),
        of_role,
    )
    keys_here = loaded_keys | present.keys
    gone_m = [
        (mid,)
        for mid, key, rid, at in mentions
        if full and at is None and key not in keys_here and rid not in kept_records
    ]
    back_m = [
        (mid,)
        for mid, key, rid, at in mentions
        if at is not None and (key in keys_here or rid in kept_records)
    ]
    writer.many(
        "UPDATE records SET withdrawn_at = ?, withdrawn_import_id = ? WHERE id = ?",
        [(now, iid, rid) for (rid,) in gone],
    )
    writer.many(
        "UPDATE records SET withdrawn_at = NULL, withdrawn_import_id = NULL WHERE id = ?", back
    )
    writer.many(
        "UPDATE mentions SET withdrawn_at = ? WHERE id = ?", [(now, mid) for (mid,) in gone_m]
    )
    writer.many("UPDATE mentions SET withdrawn_at = NULL WHERE id = ?", back_m)
    return Withdrawal(len(gone), len(gone_m), len(back) + len(back_m))
