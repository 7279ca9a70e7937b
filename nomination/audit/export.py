"""Exporting the audit trail as JSON Lines that an auditor can verify offline.

The format (``nomination-audit-export/v1``; see ``nomination.audit.offline``, which checks it):

1. a ``header`` line: ``format``, ``exported_at``, the whole log's ``tree_size`` and
   ``root_hash``, the ``filter`` (null for a full export), the number of ``events`` that follow
   and the latest ``checkpoint``;
2. one ``checkpoint`` line per stored checkpoint (oldest first), with ``reason``, ``note`` and
   its ``consistency_proof`` to the header's tree;
3. one ``event`` line per event in sequence order: ``seq``, ``leaf_index``, ``payload`` (the exact
   text that was hashed), ``hash``, ``prev_hash``; a filtered export adds ``inclusion_proof``,
   the event's audit path in the header's tree, so that each event is verifiable on its own;
   an export with personal data adds ``personal``, JSON Pointer → ``{"salt", "value"}`` for
   each commitment in the payload whose clear value is still kept.

Used by ``nomination audit export`` and by the web, which may stream ``export_lines``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nomination.audit import merkle
from nomination.audit.chain import COMMITMENT_MARK
from nomination.audit.checkpoints import YIELD_PER, checkpoint_json, load_tree, trusted_keys
from nomination.audit.offline import EXPORT_FORMAT, RECEIPT_FORMAT, format_time
from nomination.db import utcnow
from nomination.models import AuditEvent, AuditHead, Checkpoint
from nomination.models.audit import AuditPersonal

_EVENTS = AuditEvent.__table__
_PERSONAL = AuditPersonal.__table__


@dataclass
class ExportSummary:
    """What an export wrote."""

    events: int = 0
    tree_size: int = 0
    root_hash: str = ""
    checkpoint: dict[str, Any] | None = None
    filter: dict[str, Any] | None = None


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _tree(session: Session, last_seq: int) -> tuple[merkle.MerkleTree, dict[int, int] | None]:
    """Hash the leaves of the events up to ``last_seq`` as they are, gaps and all.

    Returns the tree and, when some sequence number is missing (a tampered log, which the
    verifier will name), the leaf position of each sequence number.
    """
    query = (
        select(_EVENTS.c.seq, _EVENTS.c.payload)
        .where(_EVENTS.c.seq <= last_seq)
        .order_by(_EVENTS.c.seq)
        .execution_options(yield_per=YIELD_PER)
    )
    seqs: list[int] = []
    sha256 = hashlib.sha256

    def leaves() -> Iterator[bytes]:
        result = session.execute(query)
        try:
            for seq, payload in result:
                seqs.append(seq)
                yield sha256(b"\x00" + payload.encode("utf-8")).digest()
        finally:
            result.close()

    tree = merkle.MerkleTree(leaves())
    gapless = all(seq == i + 1 for i, seq in enumerate(seqs))
    return tree, None if gapless else {seq: i for i, seq in enumerate(seqs)}


def export_lines(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    campaign_id: int | None = None,
    personal: bool = False,
    summary: ExportSummary | None = None,
) -> Iterator[str]:
    """Yield the export's lines: events at or after ``start``, before ``end``, of a campaign.

    With ``personal`` (only for those allowed to export personal data), each event holding
    commitments also carries the kept clear values and salts, which the offline verifier
    checks against them; erased values are simply absent.
    """
    summary = summary if summary is not None else ExportSummary()
    head = session.get(AuditHead, 1)
    # Events appended while exporting are left out: both passes stop at the head read here.
    last_seq = head.seq if head is not None else 0
    tree, positions = _tree(session, last_seq)
    filtered = start is not None or end is not None or campaign_id is not None
    conditions = [_EVENTS.c.seq <= last_seq]
    if start is not None:
        conditions.append(_EVENTS.c.occurred_at >= start)
    if end is not None:
        conditions.append(_EVENTS.c.occurred_at < end)
    if campaign_id is not None:
        conditions.append(_EVENTS.c.campaign_id == campaign_id)
    events = (
        session.execute(select(func.count()).select_from(_EVENTS).where(*conditions)).scalar_one()
        if filtered
        else tree.size
    )

    keys = trusted_keys()
    checkpoint_lines = []
    # In signing order: the times are what the server's clock said, which may have been wrong.
    for cp in session.scalars(select(Checkpoint).order_by(Checkpoint.id)):
        data = checkpoint_json(cp, keys)
        data.update(
            type="checkpoint",
            reason=cp.reason,
            note=cp.note,
            consistency_proof=(
                [h.hex() for h in tree.consistency_proof(cp.tree_size)]
                if cp.tree_size <= tree.size
                else None
            ),
        )
        checkpoint_lines.append(data)
    latest = checkpoint_lines[-1] if checkpoint_lines else None

    summary.events, summary.tree_size, summary.root_hash = events, tree.size, tree.root().hex()
    summary.filter = (
        {
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
            "campaign_id": campaign_id,
        }
        if filtered
        else None
    )
    summary.checkpoint = (
        {k: v for k, v in latest.items() if k not in ("type", "consistency_proof")}
        if latest
        else None
    )
    yield _line(
        {
            "type": "header",
            "format": EXPORT_FORMAT,
            "exported_at": format_time(utcnow()),
            "tree_size": tree.size,
            "root_hash": summary.root_hash,
            "filter": summary.filter,
            "events": events,
            "checkpoint": latest and {k: v for k, v in latest.items() if k != "type"},
        }
    )
    for data in checkpoint_lines:
        yield _line(data)

    query = (
        select(_EVENTS.c.seq, _EVENTS.c.payload, _EVENTS.c.hash, _EVENTS.c.prev_hash)
        .where(*conditions)
        .order_by(_EVENTS.c.seq)
        .execution_options(yield_per=YIELD_PER)
    )
    result = session.execute(query)
    try:
        for rows in result.partitions(_PERSONAL_CHUNK):
            clear = _personal_values(session, rows) if personal else {}
            for seq, payload, digest, prev_hash in rows:
                record: dict[str, Any] = {
                    "type": "event",
                    "seq": seq,
                    "leaf_index": seq - 1,
                    "payload": payload,
                    "hash": digest,
                    "prev_hash": prev_hash,
                }
                if seq in clear:
                    record["personal"] = clear[seq]
                if filtered:
                    position = seq - 1 if positions is None else positions[seq]
                    record["inclusion_proof"] = [h.hex() for h in tree.inclusion_proof(position)]
                yield _line(record)
    finally:
        result.close()


#: Events per query when fetching their personal values.
_PERSONAL_CHUNK = 500


def _personal_values(session: Session, rows: Any) -> dict[int, dict[str, dict[str, str]]]:
    """Return the kept personal values of these events: seq → pointer → salt and value."""
    wanted = [row.seq for row in rows if COMMITMENT_MARK in row.payload]
    clear: dict[int, dict[str, dict[str, str]]] = {}
    if wanted:
        found = session.execute(
            select(_PERSONAL.c.seq, _PERSONAL.c.path, _PERSONAL.c.salt, _PERSONAL.c.value).where(
                _PERSONAL.c.seq.in_(wanted)
            )
        )
        for seq, path, salt, value in found:
            clear.setdefault(seq, {})[path] = {"salt": salt, "value": value}
    return clear


def write_export(
    session: Session,
    out: TextIO,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    campaign_id: int | None = None,
    personal: bool = False,
) -> ExportSummary:
    """Write the export to ``out`` (a text file opened with UTF-8); return what it holds."""
    summary = ExportSummary()
    for line in export_lines(
        session,
        start=start,
        end=end,
        campaign_id=campaign_id,
        personal=personal,
        summary=summary,
    ):
        out.write(line)
    return summary


def receipt(session: Session, seq: int) -> dict[str, Any] | None:
    """Return event ``seq``'s receipt, or None while no checkpoint covers it yet.

    The receipt holds the event's payload, the first checkpoint covering it and its inclusion
    proof there; ``nomination.audit.offline.receipt_problem`` checks it with the public key alone.
    """
    event = session.get(AuditEvent, seq)
    cp = session.scalar(
        select(Checkpoint)
        .where(Checkpoint.tree_size >= seq)
        .order_by(Checkpoint.tree_size, Checkpoint.id)
        .limit(1)
    )
    if event is None or cp is None:
        return None
    tree = _tree_covering(session, cp.tree_size, cp.root_hash)
    return {
        "format": RECEIPT_FORMAT,
        "event": {"seq": seq, "payload": event.payload, "hash": event.hash},
        "checkpoint": checkpoint_json(cp),
        "inclusion_proof": [h.hex() for h in tree.inclusion_proof(seq - 1, cp.tree_size)],
    }


#: The tree of the whole log as this process last hashed it: receipts reuse it for any
#: checkpoint whose root it reproduces, instead of hashing the log again for each request.
_receipt_tree: merkle.MerkleTree | None = None


def _tree_covering(session: Session, size: int, root_hash: str) -> merkle.MerkleTree:
    """Return a tree whose first ``size`` leaves have the root ``root_hash``, if the log has one.

    Hashes the whole log again only when the cached tree is too small or no longer agrees
    with the checkpoint (then the proof comes from the log as it is now, and fails to verify
    if the log was changed).
    """
    global _receipt_tree
    cached = _receipt_tree
    if cached is not None and cached.size >= size and cached.root(size).hex() == root_hash:
        return cached
    head = session.get(AuditHead, 1)
    tree = load_tree(session, max(size, head.seq if head is not None else 0))
    _receipt_tree = tree
    return tree
