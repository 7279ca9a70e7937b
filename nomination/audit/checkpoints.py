"""Signed checkpoints of the audit trail, and verifying the log with them against the database.

A checkpoint signs the RFC 9162 Merkle tree head of the audit events (size, root, time) with an
Ed25519 key that lives outside the database: the file ``AUDIT_KEY_DIR/audit-signing-key.pem``
(written by ``nomination audit keygen``, mode 0600) or the environment variable
``NOMINATION_AUDIT_PRIVATE_KEY`` (PEM, or the raw 32 bytes in base64), which wins when set. The
signed message and the checkpoint JSON are described in ``nomination.audit.offline``.

Checkpoints are signed by ``nomination audit checkpoint``, at the close of every stage (each
time a nomination moves to another state, its public notice's publication included: inside that
transaction, so that the checkpoint covers the transition itself), and by the first
``nomination tick`` of each local day. Each stores the frontier of its tree (the roots of
the perfect subtrees covering it), so that the next one hashes only the events added since.

Public keys trusted for verification: the signing key's, and every ``*.pub.pem`` in the key
folder (``keygen --force`` keeps the replaced key's public half there, so older checkpoints
still verify).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app, has_app_context
from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session, object_session

from nomination import engine
from nomination.audit import merkle
from nomination.audit.chain import ChainState, VerifyResult, verify_chain
from nomination.audit.offline import (
    CHECKPOINT_FORMAT,
    checkpoint_problem,
    format_time,
    key_id,
    load_private_key,
    load_public_key,
    raw_public_key,
    sign_checkpoint,
)
from nomination.db import utcnow
from nomination.models import AuditEvent, AuditHead, Checkpoint

_log = logging.getLogger(__name__)

PRIVATE_KEY_FILE = "audit-signing-key.pem"
PUBLIC_KEY_FILE = "audit-signing-key.pub.pem"
ENV_PRIVATE_KEY = "NOMINATION_AUDIT_PRIVATE_KEY"

REASON_MANUAL = "manual"
REASON_DAILY = "daily"
REASON_NOTICE = "notice published"
REASON_STAGE = "stage closed"

#: Rows fetched per round trip when streaming the events.
YIELD_PER = 5000

_EVENTS = AuditEvent.__table__
# The model maps a Table (declarative types ``__table__`` as any FromClause).
_CHECKPOINTS = cast(Table, Checkpoint.__table__)
_INSERT_CHECKPOINT = _CHECKPOINTS.insert()
_HEAD_SEQ = select(AuditHead.__table__.c.seq).where(AuditHead.__table__.c.id == 1)
_LOCK_HEAD = _HEAD_SEQ.with_for_update()


class CheckpointError(Exception):
    """A checkpoint cannot be signed: an unreadable key, or a log shorter than the last one."""


class NoSigningKey(CheckpointError):
    """No signing key is configured."""


# --- keys ------------------------------------------------------------------------------------


def key_directory() -> Path:
    """Return the folder of the key files (``AUDIT_KEY_DIR``, default INSTANCE/keys)."""
    return Path(current_app.config["AUDIT_KEY_DIR"])


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600 from the start, replacing it atomically."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def generate_keys(directory: Path, *, force: bool = False) -> tuple[Path, Path]:
    """Write a new key pair into ``directory``; return the private and public key files.

    Refuses to replace an existing key unless ``force``; a replaced public key is kept as
    ``audit-signing-key.<key id>.pub.pem`` so that the checkpoints it signed still verify.
    """
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    private, public = directory / PRIVATE_KEY_FILE, directory / PUBLIC_KEY_FILE
    if not force and (private.exists() or public.exists()):
        raise FileExistsError(f"{private} already exists; use --force to replace it")
    if public.exists():
        with contextlib.suppress(OSError, ValueError):
            old = load_public_key(public.read_bytes())
            public.replace(directory / f"audit-signing-key.{key_id(old)}.pub.pem")
    key = Ed25519PrivateKey.generate()
    _write_private(
        private,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    public.chmod(0o644)
    return private, public


def signing_key() -> Ed25519PrivateKey | None:
    """Return the configured signing key, or None when there is none."""
    text = current_app.config.get("AUDIT_PRIVATE_KEY") or os.environ.get(ENV_PRIVATE_KEY)
    if text:
        try:
            return load_private_key(str(text))
        except ValueError as exc:
            raise CheckpointError(f"{ENV_PRIVATE_KEY}: {exc}") from None
    path = key_directory() / PRIVATE_KEY_FILE
    if not path.exists():
        return None
    try:
        return load_private_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"cannot read the signing key {path}: {exc}") from None


def trusted_keys(extra: Iterable[Ed25519PublicKey] = ()) -> dict[str, Ed25519PublicKey]:
    """Return the public keys checkpoints may be signed with, by key id."""
    keys = list(extra)
    with contextlib.suppress(CheckpointError):
        key = signing_key()
        if key is not None:
            keys.append(key.public_key())
    directory = key_directory()
    if directory.is_dir():
        for path in sorted(directory.glob("*.pub.pem")):
            try:
                keys.append(load_public_key(path.read_bytes()))
            except (OSError, ValueError) as exc:
                _log.warning("public key %s ignored: %s", path, exc)
    return {key_id(k): k for k in keys}


# --- the tree over the stored events ---------------------------------------------------------


# Built once: the signing path runs at every change of state.
_LEAVES = (
    select(_EVENTS.c.seq, _EVENTS.c.payload)
    .where(_EVENTS.c.seq > bindparam("start"), _EVENTS.c.seq <= bindparam("stop"))
    .order_by(_EVENTS.c.seq)
)


def leaf_hashes(session: Session, start: int = 0, stop: int | None = None) -> Iterator[bytes]:
    """Yield the leaf hashes of events ``start + 1`` to ``stop`` in order, in one pass.

    Raises CheckpointError when a sequence number is missing.
    """
    if stop is None:
        stop = session.execute(_HEAD_SEQ).scalar_one()
    query = _LEAVES
    if stop - start > YIELD_PER:
        query = query.execution_options(yield_per=YIELD_PER)
    result = session.execute(query, {"start": start, "stop": stop})
    sha256 = hashlib.sha256
    expected = start + 1
    try:
        for seq, payload in result:
            if seq != expected:
                raise CheckpointError(f"event {expected} is missing")
            expected += 1
            yield sha256(b"\x00" + payload.encode("utf-8")).digest()
    finally:
        # Stopping early must not leave a server-side cursor open.
        result.close()
    if expected != stop + 1:
        raise CheckpointError(f"event {expected} is missing")


def load_tree(session: Session, size: int) -> merkle.MerkleTree:
    """Return the Merkle tree of the first ``size`` events."""
    return merkle.MerkleTree(leaf_hashes(session, 0, size))


def checkpoint_json(cp: Any, keys: dict[str, Ed25519PublicKey] | None = None) -> dict:
    """Return the checkpoint as the JSON an auditor keeps (with the public key when known)."""
    data: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "tree_size": cp.tree_size,
        "root_hash": cp.root_hash,
        "signed_at": format_time(cp.signed_at),
        "key_id": cp.key_id,
        "signature": cp.signature,
    }
    key = (keys if keys is not None else trusted_keys()).get(cp.key_id)
    if key is not None:
        data["public_key"] = base64.b64encode(raw_public_key(key)).decode()
    return data


#: The order in which checkpoints were signed: each is inserted under the log head's lock, so
#: ids follow the signing order even when the server's clock was wrong (``signed_at`` is only
#: what the clock said).
SIGNING_ORDER = (Checkpoint.id,)


def latest_checkpoint(session: Session) -> Checkpoint | None:
    """Return the checkpoint signed last (by signing order, not by the time its clock gave)."""
    return session.scalar(select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1))


def _stored_frontier(cp: Any) -> merkle.Frontier | None:
    try:
        return merkle.Frontier(cp.tree_size, [bytes.fromhex(h) for h in json.loads(cp.frontier)])
    except (ValueError, TypeError):
        return None


_LARGEST_CHECKPOINT = (
    select(
        *(
            _CHECKPOINTS.c[name]
            for name in ("id", "tree_size", "root_hash", "signed_at", "key_id", "signature")
        ),
        _CHECKPOINTS.c.frontier,
    )
    .order_by(_CHECKPOINTS.c.tree_size.desc(), _CHECKPOINTS.c.id.desc())
    .limit(1)
)

#: Checkpoints whose stored frontier was found to fold to a root their key signed, by
#: (id, root, signature, frontier): signing resumes from them without checking the signature
#: again. Any change to the stored row changes the key and is checked afresh.
_trusted_frontiers: set[tuple[int, str, str, str]] = set()


def _resume(session: Session, size: int, public: Ed25519PublicKey) -> merkle.Frontier:
    """Return the frontier of the largest checkpoint, when it can be trusted, else an empty one."""
    cp = session.execute(_LARGEST_CHECKPOINT).first()
    if cp is None:
        return merkle.Frontier()
    if cp.tree_size > size:
        raise CheckpointError(
            f"the log has {size} events, fewer than the {cp.tree_size} of checkpoint {cp.id}: "
            "events were deleted (run `nomination audit verify`)"
        )
    frontier = _stored_frontier(cp)
    seen = (cp.id, cp.root_hash, cp.signature, cp.frontier)
    if frontier is not None and seen in _trusted_frontiers:
        return frontier
    # The frontier is only a cache: trust it when it folds to a root this key really signed
    # (after a key change, the first checkpoint hashes the whole log once).
    if (
        frontier is None
        or frontier.root().hex() != cp.root_hash
        or checkpoint_problem(checkpoint_json(cp, {}), public)
    ):
        _log.warning("checkpoint %s cannot be resumed from; hashing the whole log", cp.id)
        return merkle.Frontier()
    if len(_trusted_frontiers) > 1000:
        _trusted_frontiers.clear()
    _trusted_frontiers.add(seen)
    return frontier


def sign_now(
    session: Session,
    key: Ed25519PrivateKey,
    reason: str,
    note: str | None,
    now: datetime | None = None,
) -> int:
    """Sign the tree head of every event so far and store it; return the checkpoint's id.

    Core statements, as for the audit append: this runs at every change of state. Every
    CheckpointError is raised before anything is written.
    """
    session.flush()
    # Locking the head keeps appenders (and other signers) out while the root is computed.
    size = session.execute(_LOCK_HEAD).scalar_one()
    frontier = _resume(session, size, key.public_key())
    frontier.extend(leaf_hashes(session, frontier.size, size))
    root = frontier.root().hex()
    signed_at = (now or utcnow()).astimezone(UTC).replace(microsecond=0)
    signed = sign_checkpoint(key, size, root, format_time(signed_at))
    row = {
        "tree_size": size,
        "root_hash": root,
        "signed_at": signed_at,
        "key_id": signed["key_id"],
        "signature": signed["signature"],
        "reason": reason,
        "note": note,
        "frontier": json.dumps([h.hex() for h in frontier.hashes]),
    }
    new_id = session.execute(_INSERT_CHECKPOINT.returning(_CHECKPOINTS.c.id), row).scalar_one()
    _trusted_frontiers.add((new_id, root, row["signature"], row["frontier"]))
    return new_id


def create_checkpoint(
    session: Session,
    *,
    reason: str = REASON_MANUAL,
    note: str | None = None,
    key: Ed25519PrivateKey | None = None,
    now: datetime | None = None,
) -> Checkpoint:
    """Sign the tree head of every event appended so far, in the caller's transaction."""
    key = key or signing_key()
    if key is None:
        raise NoSigningKey(
            f"no audit signing key: run `nomination audit keygen` or set {ENV_PRIVATE_KEY}"
        )
    cp = session.get(Checkpoint, sign_now(session, key, reason, note, now))
    assert cp is not None
    return cp


_warned_no_key = False


def _configured_key(reason: str) -> Ed25519PrivateKey | None:
    """Return the signing key, or log why there is none (the missing key once per process)."""
    global _warned_no_key
    try:
        key = signing_key()
    except CheckpointError as exc:
        _log.error("audit checkpoint (%s) not signed: %s", reason, exc)
        return None
    if key is None and not _warned_no_key:
        _log.warning(
            "audit checkpoint (%s) not signed: no signing key; run `nomination audit keygen`",
            reason,
        )
        _warned_no_key = True
    return key


def _sign_or_log(
    session: Session, key: Ed25519PrivateKey, reason: str, note: str | None
) -> int | None:
    """Sign a checkpoint; log and skip when it cannot be signed (nothing was written then)."""
    try:
        return sign_now(session, key, reason, note)
    except CheckpointError as exc:
        _log.error("audit checkpoint (%s) not signed: %s", reason, exc)
        return None


def on_nomination_transitioned(nomination: Any, *, before: str | None = None, **_: Any) -> None:
    """Sign a checkpoint when a nomination's stage closes, i.e. it changes state (signal listener).

    Every decision is then covered by a signed tree head at once: its receipt is ready, and
    rewriting it later contradicts a checkpoint that may already have been handed out.
    """
    if before == nomination.state:
        return
    # Entering the notice publishes the nomination: its checkpoint says so.
    published = engine.workflow_for(nomination).tagged(nomination.state, "notice")
    reason = REASON_NOTICE if published else REASON_STAGE
    session = object_session(nomination)
    if session is None or not has_app_context():
        return
    key = _configured_key(reason)
    if key is not None:
        note = f"nomination {nomination.id} entered {nomination.state} from {before}"
        _sign_or_log(session, key, reason, note)


def daily_checkpoint(session: Session, now: datetime | None = None) -> Checkpoint | None:
    """Sign the day's checkpoint unless one was signed this local day; None when skipped."""
    now = now or utcnow()
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    day = now.astimezone(tz).date()
    start = datetime.combine(day, time(0), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    key = _configured_key(REASON_DAILY)
    if key is None:
        return None
    # Lock the head first: two ticks at once must not both sign the day's checkpoint.
    session.execute(_LOCK_HEAD)
    signed_today = session.scalar(
        select(Checkpoint.id)
        .where(Checkpoint.signed_at >= start, Checkpoint.signed_at < end)
        .limit(1)
    )
    if signed_today is not None:
        return None
    new_id = _sign_or_log(session, key, REASON_DAILY, day.isoformat())
    return None if new_id is None else session.get(Checkpoint, new_id)


# --- verifying the log against the database --------------------------------------------------


@dataclass
class LogReport:
    """The chain's verification, then the tree's and every checkpoint's."""

    chain: VerifyResult
    tree_size: int | None = None
    root_hash: str | None = None
    checkpoints: int = 0
    first_bad_checkpoint: int | None = None
    checkpoint_problem: str | None = None
    #: Whether a checkpoint the auditor kept was given and holds.
    kept_checkpoint: bool | None = None
    #: Checkpoints whose time is earlier than that of one signed before them: the server's
    #: clock was wrong at one of them. The log still holds; the times are to be read with care.
    clock_warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether everything held."""
        return self.chain.ok and self.checkpoint_problem is None

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data (the chain's fields first)."""
        data = self.chain.as_dict()
        data["ok"] = self.ok
        if self.checkpoint_problem is not None:
            data["problem"] = self.checkpoint_problem
        data.update(
            tree_size=self.tree_size,
            root_hash=self.root_hash,
            checkpoints=self.checkpoints,
            first_bad_checkpoint=self.first_bad_checkpoint,
            kept_checkpoint=self.kept_checkpoint,
            clock_warnings=self.clock_warnings,
        )
        return data


def _describe(cp: Checkpoint) -> str:
    return f"checkpoint {cp.id} (size {cp.tree_size}, signed {format_time(cp.signed_at)})"


def verify_log(
    session: Session,
    extra_keys: Iterable[Ed25519PublicKey] = (),
    progress: Callable[[int], None] | None = None,
    kept: dict[str, Any] | None = None,
    state: ChainState | None = None,
) -> LogReport:
    """Check the chain, recompute the tree, and check every checkpoint against both.

    ``kept`` is a checkpoint an auditor kept (its JSON), checked with ``extra_keys`` (the
    auditor's) before the stored ones: it catches a log truncated or rewritten together with
    the stored checkpoints.
    ``progress`` and ``state`` are passed to :func:`verify_chain` (``progress`` may raise to
    stop a long run, and ``state`` resumes one).
    """
    extra_keys = list(extra_keys)
    chain = verify_chain(session, progress, state)
    report = LogReport(chain)
    if not chain.ok:
        return report
    tree = load_tree(session, chain.checked)
    report.tree_size, report.root_hash = tree.size, tree.root().hex()
    keys = trusted_keys(extra_keys)
    if kept is not None:
        # Judged with the keys the auditor brought, when they brought any, not the server's.
        mine = {key_id(k): k for k in extra_keys} or keys
        problem = _kept_problem(kept, tree, mine)
        if problem:
            report.checkpoint_problem = f"the kept checkpoint: {problem}"
            return report
        report.kept_checkpoint = True
    # In signing order, never by their times, and never against "now": a checkpoint signed
    # while the clock ran ahead must not make every later verification fail.
    previous: Checkpoint | None = None
    latest_time: Checkpoint | None = None
    for cp in session.scalars(select(Checkpoint).order_by(*SIGNING_ORDER)):
        problem = _checkpoint_problem(cp, previous, tree, keys)
        if problem:
            report.first_bad_checkpoint = cp.id
            report.checkpoint_problem = f"{_describe(cp)}: {problem}"
            return report
        if latest_time is not None and cp.signed_at < latest_time.signed_at:
            report.clock_warnings.append(
                f"{_describe(cp)} bears an earlier time than {_describe(latest_time)}, "
                "signed before it: the server's clock was wrong at one of them"
            )
        else:
            latest_time = cp
        report.checkpoints += 1
        previous = cp
    return report


def _kept_problem(
    kept: dict[str, Any], tree: merkle.MerkleTree, keys: dict[str, Ed25519PublicKey]
) -> str | None:
    """Return why an auditor's kept checkpoint contradicts the log, or None when it holds."""
    problem = checkpoint_problem(kept, keys.values())
    if problem:
        return problem
    size = kept["tree_size"]
    if size > tree.size:
        return f"it covers {size} events but the log has {tree.size} (events deleted from the end)"
    if tree.root(size).hex() != kept["root_hash"]:
        return f"its root no longer matches the first {size} events (the log was rewritten)"
    return None


def _checkpoint_problem(
    cp: Checkpoint,
    previous: Checkpoint | None,
    tree: merkle.MerkleTree,
    keys: dict[str, Ed25519PublicKey],
) -> str | None:
    problem = checkpoint_problem(checkpoint_json(cp, {}), keys.values())
    if problem:
        return problem
    if cp.tree_size > tree.size:
        return (
            f"it covers {cp.tree_size} events but the log has {tree.size} "
            "(events deleted from the end)"
        )
    if tree.root(cp.tree_size).hex() != cp.root_hash:
        return f"its root no longer matches the first {cp.tree_size} events (the log was rewritten)"
    stored = _stored_frontier(cp)
    if stored is None or stored.hashes != tree.frontier(cp.tree_size).hashes:
        return "its stored frontier does not match the tree"
    if previous is not None:
        if cp.tree_size < previous.tree_size:
            return f"it covers fewer events than {_describe(previous)}, signed before it"
        if previous.tree_size and not merkle.verify_consistency(
            previous.tree_size,
            cp.tree_size,
            bytes.fromhex(previous.root_hash),
            bytes.fromhex(cp.root_hash),
            tree.consistency_proof(previous.tree_size, cp.tree_size),
        ):
            return f"it does not extend {_describe(previous)}"
    return None
