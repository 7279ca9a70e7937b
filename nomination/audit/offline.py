"""Verifying an exported audit log offline: no database, no configuration, no application.

It needs only the standard library, ``cryptography`` and ``merkle.py`` beside it: an auditor may
copy ``merkle.py`` and this file anywhere and run
``python3 offline.py --export FILE --checkpoint CP.json --public-key KEY``.

**Checkpoints.** A checkpoint states that the log held ``tree_size`` events whose RFC 9162 Merkle
root is ``root_hash`` (hex) at ``signed_at`` (UTC, ``YYYY-MM-DDTHH:MM:SSZ``). The Ed25519 signature
(base64) covers exactly these UTF-8 bytes, each line ending in a newline::

    nomination-checkpoint/v1
    <tree_size in decimal>
    <root_hash, 64 lower-case hex digits>
    <signed_at>

``key_id`` is the first 16 hex digits of the SHA-256 of the raw 32-byte public key. The checkpoint
file an auditor keeps is the JSON object ``{"format", "tree_size", "root_hash", "signed_at",
"key_id", "signature", "public_key"}``; ``public_key`` (raw, base64) is informative only: the
signature is checked with the key the auditor names.

**Exports** are JSON Lines: a ``header`` line (the whole log's ``tree_size`` and ``root_hash``,
the filter, the latest checkpoint), one ``checkpoint`` line per stored checkpoint with its
consistency proof to the header's tree, then one ``event`` line per event: ``seq``,
``leaf_index``, ``payload`` (the exact text that was hashed), ``hash`` and ``prev_hash``, and in a
filtered export ``inclusion_proof``, the event's audit path in the header's tree.

A full export is checked event by event (hash over the payload, chain links, no gaps), its tree is
recomputed and compared with the kept checkpoint's root at that checkpoint's size: truncation and a
consistently rewritten chain are caught there, which the chain alone cannot do. A filtered export
is checked through each event's inclusion proof and the consistency proof from the kept
checkpoint to the header's tree.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

if TYPE_CHECKING:
    from nomination.audit import merkle
else:
    try:
        from nomination.audit import merkle
    except ImportError:  # copied beside merkle.py, without the application installed
        import merkle

CHECKPOINT_FORMAT = "nomination-checkpoint/v1"
EXPORT_FORMAT = "nomination-audit-export/v1"
RECEIPT_FORMAT = "nomination-receipt/v1"
#: The ``prev_hash`` of the first event (nomination.models.audit.GENESIS_HASH).
GENESIS_HASH = "0" * 64

_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_HEX64 = re.compile(r"[0-9a-f]{64}")


# --- keys and signatures ---------------------------------------------------------------------


def format_time(moment: datetime) -> str:
    """Return ``moment`` as a checkpoint time: UTC, whole seconds, ``Z``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; use an aware one")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def checkpoint_message(tree_size: object, root_hash: object, signed_at: object) -> bytes:
    """Return the exact bytes a checkpoint's signature covers; refuse values of the wrong form."""
    if not isinstance(tree_size, int) or isinstance(tree_size, bool) or tree_size < 0:
        raise ValueError("tree_size must be a non-negative integer")
    if not isinstance(root_hash, str) or not _HEX64.fullmatch(root_hash):
        raise ValueError("root_hash must be 64 lower-case hex digits")
    if not isinstance(signed_at, str) or not _TIME.fullmatch(signed_at):
        raise ValueError("signed_at must look like 2026-11-18T02:00:00Z")
    return f"{CHECKPOINT_FORMAT}\n{tree_size}\n{root_hash}\n{signed_at}\n".encode()


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    """Return the 32 raw bytes of a public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """Return a public key's identifier: 16 hex digits of the SHA-256 of its raw bytes."""
    return hashlib.sha256(raw_public_key(key)).hexdigest()[:16]


def _text(data: bytes | str) -> str:
    return data.decode("ascii", "replace") if isinstance(data, bytes) else data


def load_public_key(data: bytes | str) -> Ed25519PublicKey:
    """Read an Ed25519 public key: PEM (SubjectPublicKeyInfo) or the raw 32 bytes in base64."""
    text = _text(data).strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not a PEM or base64 Ed25519 public key") from None
    if len(raw) != 32:
        raise ValueError("a raw Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def load_private_key(data: bytes | str) -> Ed25519PrivateKey:
    """Read an Ed25519 private key: PEM (PKCS #8, unencrypted) or the raw 32 bytes in base64."""
    text = _text(data).strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not a PEM or base64 Ed25519 private key") from None
    if len(raw) != 32:
        raise ValueError("a raw Ed25519 private key is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def sign_checkpoint(
    key: Ed25519PrivateKey, tree_size: int, root_hash: str, signed_at: str
) -> dict[str, Any]:
    """Sign a tree head and return the checkpoint JSON (with the public key)."""
    public = key.public_key()
    signature = key.sign(checkpoint_message(tree_size, root_hash, signed_at))
    return {
        "format": CHECKPOINT_FORMAT,
        "tree_size": tree_size,
        "root_hash": root_hash,
        "signed_at": signed_at,
        "key_id": key_id(public),
        "signature": base64.b64encode(signature).decode(),
        "public_key": base64.b64encode(raw_public_key(public)).decode(),
    }


def checkpoint_problem(
    checkpoint: Any, keys: Iterable[Ed25519PublicKey] | Ed25519PublicKey
) -> str | None:
    """Return why ``checkpoint`` is not validly signed by one of ``keys``, or None when it is."""
    if not isinstance(checkpoint, dict):
        return "a checkpoint is a JSON object"
    if checkpoint.get("format", CHECKPOINT_FORMAT) != CHECKPOINT_FORMAT:
        return f"unknown checkpoint format {checkpoint.get('format')!r}"
    try:
        message = checkpoint_message(
            checkpoint.get("tree_size"), checkpoint.get("root_hash"), checkpoint.get("signed_at")
        )
        signature = base64.b64decode(checkpoint.get("signature") or "", validate=True)
    except (binascii.Error, ValueError) as exc:
        return f"malformed checkpoint: {exc}"
    known = {key_id(k): k for k in ([keys] if isinstance(keys, Ed25519PublicKey) else keys)}
    named = checkpoint.get("key_id")
    key = known.get(named) if isinstance(named, str) else None
    if key is None:
        return f"signed with key {checkpoint.get('key_id')!r}, not with a trusted public key"
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return "the signature does not match (forged or altered checkpoint)"
    return None


# --- receipts --------------------------------------------------------------------------------


def receipt_problem(receipt: Any, public_key: Ed25519PublicKey) -> str | None:
    """Return why ``receipt`` does not prove its event in its signed checkpoint, or None.

    A receipt (``nomination-receipt/v1``) is ``{"format", "event": {"seq", "payload", "hash"},
    "checkpoint", "inclusion_proof"}``: the event's exact payload, a checkpoint covering it and
    the event's audit path (hex) in that checkpoint's tree.
    """
    if not isinstance(receipt, dict) or receipt.get("format") != RECEIPT_FORMAT:
        return "not a nomination receipt"
    # Untrusted JSON: checkpoint_problem checks its form.
    checkpoint: Any = receipt.get("checkpoint")
    event = receipt.get("event")
    problem = checkpoint_problem(checkpoint, public_key)
    if problem:
        return f"its checkpoint: {problem}"
    if not isinstance(event, dict) or not isinstance(event.get("payload"), str):
        return "it holds no event"
    seq, payload = event.get("seq"), event["payload"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        return "its event has no valid seq"
    if hashlib.sha256(payload.encode("utf-8")).hexdigest() != event.get("hash"):
        return "the event's payload does not match its hash (edited)"
    try:
        stored = json.loads(payload)
    except ValueError:
        return "the event's payload is not JSON"
    if not isinstance(stored, dict) or stored.get("seq") != seq:
        return "the event's payload names another sequence number"
    proof = receipt.get("inclusion_proof")
    if not isinstance(proof, list) or not all(
        isinstance(h, str) and _HEX64.fullmatch(h) for h in proof
    ):
        return "its inclusion proof is not a list of hashes"
    leaf = merkle.payload_leaf_hash(payload)
    root = bytes.fromhex(checkpoint["root_hash"])
    path = [bytes.fromhex(h) for h in proof]
    if not merkle.verify_inclusion(leaf, seq - 1, checkpoint["tree_size"], path, root):
        return "the event is not in the checkpoint's tree (its inclusion proof fails)"
    return None


# --- exports ---------------------------------------------------------------------------------


@dataclass
class OfflineResult:
    """The outcome of checking an export against a kept checkpoint."""

    ok: bool
    events: int = 0
    complete: bool = False
    tree_size: int | None = None
    root_hash: str | None = None
    checkpoint: dict[str, Any] | None = None
    checkpoints_checked: int = 0
    after_checkpoint: int = 0
    first_bad_seq: int | None = None
    problem: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        return asdict(self)


class _Bad(Exception):
    def __init__(self, problem: str, seq: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.seq = seq


def _hash_list(value: Any, what: str, seq: int | None = None) -> list[bytes]:
    if not isinstance(value, list) or not all(
        isinstance(h, str) and _HEX64.fullmatch(h) for h in value
    ):
        raise _Bad(f"{what} is not a list of hashes", seq)
    return [bytes.fromhex(h) for h in value]


def _lines(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise _Bad(f"line {number} is not JSON") from None
        if not isinstance(record, dict):
            raise _Bad(f"line {number} is not a JSON object")
        yield number, record


def _check_event(
    record: dict[str, Any], number: int
) -> tuple[int, str, str, bytes, dict[str, Any]]:
    """Check one event line on its own; return its seq, hash, prev_hash, leaf hash, payload."""
    seq = record.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise _Bad(f"line {number} has no valid seq")
    payload, digest, prev = record.get("payload"), record.get("hash"), record.get("prev_hash")
    if not isinstance(payload, str) or not isinstance(digest, str) or not isinstance(prev, str):
        raise _Bad("the line lacks payload, hash or prev_hash", seq)
    if record.get("leaf_index") != seq - 1:
        raise _Bad(f"leaf index {record.get('leaf_index')!r} is not seq - 1", seq)
    if hashlib.sha256(payload.encode("utf-8")).hexdigest() != digest:
        raise _Bad("payload does not match its hash (edited)", seq)
    try:
        stored = json.loads(payload)
    except ValueError:
        raise _Bad("payload is not JSON", seq) from None
    if not isinstance(stored, dict) or stored.get("seq") != seq:
        raise _Bad("payload names another sequence number", seq)
    if stored.get("prev_hash") != prev:
        raise _Bad("payload's prev_hash differs from the line's", seq)
    _check_personal(record.get("personal"), stored, seq)
    return seq, digest, prev, merkle.payload_leaf_hash(payload), stored


def _at_pointer(document: Any, pointer: str) -> Any:
    """Return the value at a JSON Pointer (RFC 6901) in ``document``, or None."""
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(document, dict):
            document = document.get(part)
        elif isinstance(document, list) and part.isdigit() and int(part) < len(document):
            document = document[int(part)]
        else:
            return None
    return document


def _check_personal(personal: Any, stored: dict[str, Any], seq: int) -> None:
    """Check the clear personal values an export may carry against the payload's commitments.

    ``personal`` maps a JSON Pointer into the payload to ``{"salt", "value"}``: the salt (hex)
    and the value's canonical JSON, whose SHA-256 must be the commitment found there.
    """
    if personal is None:
        return
    if not isinstance(personal, dict):
        raise _Bad("personal values are not a JSON object", seq)
    for path, clear in personal.items():
        found = _at_pointer(stored, path)
        digest = found.get("$c") if isinstance(found, dict) and len(found) == 1 else None
        if not isinstance(digest, str):
            raise _Bad(f"no commitment at {path} for the personal value given", seq)
        salt = clear.get("salt") if isinstance(clear, dict) else None
        value = clear.get("value") if isinstance(clear, dict) else None
        if not isinstance(salt, str) or not isinstance(value, str):
            raise _Bad(f"the personal value at {path} lacks its salt or value", seq)
        try:
            salted = bytes.fromhex(salt) + value.encode("utf-8")
        except ValueError:
            raise _Bad(f"the salt at {path} is not hex", seq) from None
        if hashlib.sha256(salted).hexdigest() != digest:
            raise _Bad(f"the personal value at {path} does not match its commitment", seq)


def verify_export(
    lines: Iterable[str], kept: dict[str, Any], public_key: Ed25519PublicKey
) -> OfflineResult:
    """Check an export against the checkpoint the auditor kept, signed by ``public_key``."""
    result = OfflineResult(ok=False)
    try:
        _ExportCheck(kept, public_key, result).run(_lines(lines))
    except _Bad as bad:
        result.first_bad_seq = bad.seq
        result.problem = bad.problem
        return result
    result.ok = True
    return result


_Event = tuple[dict[str, Any], int, str, str, bytes, dict[str, Any]]


def _instant(text: Any, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        raise _Bad(f"the filter's {what} is not a time") from None
    if moment.tzinfo is None:
        raise _Bad(f"the filter's {what} has no time zone")
    return moment


def _filter_check(spec: Any) -> Any:
    """Return a function naming why a payload falls outside the export's filter, or None.

    A filtered export cannot prove that none of the matching events is missing, but each
    event in it must match the filter it claims: otherwise the header was altered.
    """
    if not isinstance(spec, dict):
        raise _Bad("the header's filter is not a JSON object")
    start, end = _instant(spec.get("from"), "from"), _instant(spec.get("to"), "to")
    campaign = spec.get("campaign_id")

    def problem(stored: dict[str, Any]) -> str | None:
        try:
            occurred = datetime.fromisoformat(str(stored.get("occurred_at")))
        except ValueError:
            return "it has no valid time"
        if start is not None and occurred < start:
            return "it happened before the filter's start"
        if end is not None and occurred >= end:
            return "it happened at or after the filter's end"
        if campaign is not None and stored.get("campaign_id") != campaign:
            return f"it belongs to campaign {stored.get('campaign_id')}, not {campaign}"
        return None

    return problem


class _ExportCheck:
    """One pass over an export: header, checkpoint lines, then events."""

    def __init__(
        self, kept: dict[str, Any], public_key: Ed25519PublicKey, result: OfflineResult
    ) -> None:
        problem = checkpoint_problem(kept, public_key)
        if problem:
            raise _Bad(f"the kept checkpoint: {problem}")
        self.kept = kept
        self.kept_size = kept["tree_size"]
        self.kept_root = bytes.fromhex(kept["root_hash"])
        self.public_key = public_key
        self.result = result
        result.checkpoint = {k: kept[k] for k in ("tree_size", "root_hash", "signed_at", "key_id")}

    def run(self, lines: Iterator[tuple[int, dict[str, Any]]]) -> None:
        first = next(lines, None)
        if first is None or first[1].get("type") != "header":
            raise _Bad("the export does not start with its header line")
        header = first[1]
        if header.get("format") != EXPORT_FORMAT:
            raise _Bad(f"unknown export format {header.get('format')!r}")
        size, root = header.get("tree_size"), header.get("root_hash")
        if not isinstance(size, int) or not isinstance(root, str) or not _HEX64.fullmatch(root):
            raise _Bad("the header has no valid tree_size and root_hash")
        self.head_size, self.head_root = size, bytes.fromhex(root)
        self.result.tree_size, self.result.root_hash = size, root

        checkpoints = []
        pending = None
        for number, record in lines:
            if record.get("type") != "checkpoint":
                pending = (number, record)
                break
            checkpoints.append(record)
        self.checkpoints = self._check_checkpoints(checkpoints)
        events = self._events(pending, lines)
        self.filter = header.get("filter")
        if self.filter is None:
            self._full(events)
        else:
            self._filtered(events)

    def _check_checkpoints(self, checkpoints: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Check the signatures of the export's checkpoints made with the auditor's key."""
        mine = []
        for cp in checkpoints:
            # Those signed with another key (before a key change) are reported, not judged.
            if cp.get("key_id") != self.kept["key_id"]:
                self.result.notes.append(
                    f"checkpoint of size {cp.get('tree_size')} signed with another key: not checked"
                )
                continue
            problem = checkpoint_problem(cp, self.public_key)
            if problem:
                raise _Bad(f"the export's checkpoint of size {cp.get('tree_size')}: {problem}")
            if cp["tree_size"] == self.kept_size and cp["root_hash"] != self.kept["root_hash"]:
                raise _Bad(
                    f"the export's checkpoint of size {self.kept_size} has another root than the "
                    "kept one (the log was rewritten)"
                )
            mine.append(cp)
        self.result.checkpoints_checked = len(mine)
        return mine

    def _events(
        self, pending: tuple[int, dict[str, Any]] | None, lines: Iterator[tuple[int, dict]]
    ) -> Iterator[_Event]:
        """Yield each event line checked on its own, with what ``_check_event`` returns."""
        while pending is not None:
            number, record = pending
            if record.get("type") != "event":
                raise _Bad(f"line {number} is a {record.get('type')!r} line among the events")
            yield (record, *_check_event(record, number))
            if record["seq"] > self.kept_size:
                self.result.after_checkpoint += 1
            pending = next(lines, None)

    def _full(self, events: Iterator[_Event]) -> None:
        """Every event from the first: chain, no gaps, and the roots at the signed sizes."""
        expected = {self.kept_size: (self.kept_root, "the kept checkpoint")}
        for cp in self.checkpoints:
            expected.setdefault(
                cp["tree_size"], (bytes.fromhex(cp["root_hash"]), "the export's checkpoint")
            )
        frontier = merkle.Frontier()
        prev_hash = GENESIS_HASH

        def compare() -> None:
            if frontier.size in expected:
                root, what = expected[frontier.size]
                if frontier.root() != root:
                    raise _Bad(
                        f"events 1–{frontier.size} do not match the root signed in {what} "
                        "(the log was rewritten)"
                    )

        compare()
        for _record, seq, digest, prev, leaf, _stored in events:
            if seq != frontier.size + 1:
                missing = frontier.size + 1
                if seq > missing:
                    raise _Bad(f"event {missing} is missing (the export jumps to {seq})", missing)
                raise _Bad(f"event {seq} is repeated or out of order", seq)
            if prev != prev_hash:
                raise _Bad("not linked to the previous event (inserted, deleted or reordered)", seq)
            frontier.append(leaf)
            prev_hash = digest
            compare()
        self.result.events = frontier.size
        self._not_truncated(frontier.size)
        if frontier.size != self.head_size or frontier.root() != self.head_root:
            raise _Bad("the header's tree size and root do not match the events")
        self.result.complete = True

    def _not_truncated(self, size: int) -> None:
        """Fail when a signed checkpoint covers more events than the log exported has."""
        signed = [(self.kept_size, "the kept checkpoint")]
        signed += [(cp["tree_size"], "a checkpoint in the export") for cp in self.checkpoints]
        for covered, what in signed:
            if covered > size:
                raise _Bad(
                    f"the log ends at event {size}, but {what} covers {covered} events "
                    "(truncated, or the kept checkpoint is newer than the export)",
                    size + 1,
                )

    def _filtered(self, events: Iterator[_Event]) -> None:
        """Some events: each proven in the header's tree, which must extend the kept checkpoint."""
        self._not_truncated(self.head_size)
        if self.kept_size == self.head_size:
            if self.kept_root != self.head_root:
                raise _Bad("the export's tree differs from the kept checkpoint (rewritten)")
        elif self.kept_size > 0:
            proof = None
            for cp in self.checkpoints:
                if cp["tree_size"] == self.kept_size:
                    proof = _hash_list(cp.get("consistency_proof"), "the consistency proof")
            if proof is None:
                raise _Bad(f"the export carries no consistency proof from size {self.kept_size}")
            if not merkle.verify_consistency(
                self.kept_size, self.head_size, self.kept_root, self.head_root, proof
            ):
                raise _Bad("the export's tree does not extend the kept checkpoint (rewritten)")
        last_seq, last_hash = 0, None
        matches = _filter_check(self.filter)
        for record, seq, digest, prev, leaf, stored in events:
            if seq <= last_seq:
                raise _Bad(f"event {seq} is repeated or out of order", seq)
            if seq == last_seq + 1 and last_hash is not None and prev != last_hash:
                raise _Bad("not linked to the previous event (inserted, deleted or reordered)", seq)
            if seq > self.head_size:
                raise _Bad(f"event {seq} lies beyond the export's tree of {self.head_size}", seq)
            problem = matches(stored)
            if problem:
                raise _Bad(f"the event lies outside the export's filter: {problem}", seq)
            proof = _hash_list(record.get("inclusion_proof"), "the inclusion proof", seq)
            if not merkle.verify_inclusion(leaf, seq - 1, self.head_size, proof, self.head_root):
                raise _Bad("the event is not in the signed tree (its inclusion proof fails)", seq)
            last_seq, last_hash = seq, digest
            self.result.events += 1
        self.result.notes.append(
            "filtered export: each event is proven to be in the log, but not that none is missing"
        )


def verify_export_file(
    export: str | Path, checkpoint: str | Path, public_key: str | Path
) -> OfflineResult:
    """Check the export file against the kept checkpoint file and the public key file."""
    try:
        key = load_public_key(Path(public_key).read_bytes())
    except (OSError, ValueError) as exc:
        return OfflineResult(ok=False, problem=f"cannot read the public key: {exc}")
    try:
        kept = json.loads(Path(checkpoint).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return OfflineResult(ok=False, problem=f"cannot read the kept checkpoint: {exc}")
    try:
        with open(export, encoding="utf-8") as lines:
            return verify_export(lines, kept, key)
    except (OSError, UnicodeDecodeError) as exc:
        return OfflineResult(ok=False, problem=f"cannot read the export: {exc}")


def report(result: OfflineResult) -> tuple[str, str | None]:
    """Return the JSON line for stdout and, on failure, the message for stderr."""
    out = json.dumps(result.as_dict(), ensure_ascii=False)
    if result.ok:
        return out, None
    where = f" at event {result.first_bad_seq}" if result.first_bad_seq else ""
    return out, f"export FAILED{where}: {result.problem}"


def main(argv: list[str] | None = None) -> int:
    """Verify an export from the command line; return the exit status (0 when it holds)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export", required=True, help="the exported JSON Lines file")
    parser.add_argument("--checkpoint", required=True, help="the checkpoint JSON you kept")
    parser.add_argument("--public-key", required=True, help="the federation's public key file")
    args = parser.parse_args(argv)
    out, err = report(verify_export_file(args.export, args.checkpoint, args.public_key))
    print(out)
    if err:
        print(err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
