"""RFC 9162 Merkle tree hashes and proofs, in pure Python with hashlib.

The tree is the one of certificate transparency (RFC 9162 §2.1): a leaf hashes as
SHA-256(0x00 ‖ leaf bytes), a node as SHA-256(0x01 ‖ left ‖ right), and a tree of n > 1 leaves
splits at k, the largest power of two smaller than n. The leaves of the audit trail are the events
in sequence order, each one's stored ``payload`` encoded as UTF-8 (never re-serialised).

Two ways to hold a tree:

- ``Frontier``: the roots of the perfect subtrees covering the first n leaves (at most log2(n)
  hashes). Leaves stream through it in one pass; it gives the root of everything seen so far, and
  it can be stored and resumed, so that the next root only hashes the leaves added since.
- ``MerkleTree``: every level of the tree (about 64 bytes per leaf), built once from the leaf
  hashes, for the root at any size and inclusion and consistency proofs in O(log n) lookups.

This module imports nothing but hashlib: the offline verifier uses it without the application.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
#: The root of the empty tree: SHA-256 of nothing (RFC 9162 §2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """Return the hash of one leaf: SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the hash of an interior node: SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def payload_leaf_hash(payload: str) -> bytes:
    """Return the leaf hash of an audit event from its stored payload (UTF-8 bytes)."""
    return hashlib.sha256(_LEAF_PREFIX + payload.encode("utf-8")).digest()


def _split(n: int) -> int:
    """Return the largest power of two smaller than ``n`` (n > 1): where RFC 9162 splits."""
    return 1 << ((n - 1).bit_length() - 1)


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Fold perfect-subtree roots, largest first, into the root of their concatenation."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


class Frontier:
    """The perfect-subtree roots covering leaves [0, size): appendable, storable, O(log n)."""

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        """Start empty, or resume from a stored ``size`` and its subtree roots (largest first)."""
        self.size = size
        self.hashes = list(hashes)
        if size < 0 or len(self.hashes) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} subtree roots")
        if any(len(h) != HASH_SIZE for h in self.hashes):
            raise ValueError("subtree roots must be 32-byte hashes")

    def append(self, leaf: bytes) -> None:
        """Add the next leaf, given by its leaf hash."""
        h = leaf
        n = self.size
        stack = self.hashes
        # Each trailing 1 bit of the old size is a perfect subtree that the new leaf completes.
        while n & 1:
            h = node_hash(stack.pop(), h)
            n >>= 1
        stack.append(h)
        self.size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Add leaves, given by their leaf hashes, in order."""
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        """Return the root of the tree of the leaves seen so far."""
        return _fold(self.hashes)

    def copy(self) -> Frontier:
        """Return an independent copy."""
        return Frontier(self.size, self.hashes)


def root_of(leaves: Iterable[bytes]) -> bytes:
    """Return the root of the tree over ``leaves`` (leaf hashes), in one streaming pass."""
    frontier = Frontier()
    frontier.extend(leaves)
    return frontier.root()


class MerkleTree:
    """Every level of the tree over a sequence of leaf hashes, for roots and proofs of any size."""

    def __init__(self, leaves: Iterable[bytes]) -> None:
        """Hash the tree's levels once from the leaf hashes (n - 1 node hashes in all)."""
        level = b"".join(leaves)
        if len(level) % HASH_SIZE:
            raise ValueError("leaf hashes must be 32 bytes each")
        self.size = len(level) // HASH_SIZE
        #: ``levels[h]`` holds, 32 bytes each, the roots of the aligned perfect subtrees of
        #: 2**h leaves; an odd last node waits for the right edge to be folded in.
        self.levels = [level]
        sha256 = hashlib.sha256
        while len(level) >= 2 * HASH_SIZE:
            pairs = len(level) // (2 * HASH_SIZE)
            level = b"".join(
                sha256(_NODE_PREFIX + level[i : i + 2 * HASH_SIZE]).digest()
                for i in range(0, pairs * 2 * HASH_SIZE, 2 * HASH_SIZE)
            )
            self.levels.append(level)

    def leaf(self, index: int) -> bytes:
        """Return the hash of leaf ``index``."""
        if not 0 <= index < self.size:
            raise IndexError(f"no leaf {index} in a tree of {self.size}")
        return self.levels[0][index * HASH_SIZE : (index + 1) * HASH_SIZE]

    def _perfect(self, height: int, index: int) -> bytes:
        level = self.levels[height]
        return level[index * HASH_SIZE : (index + 1) * HASH_SIZE]

    def subtree_hash(self, start: int, end: int) -> bytes:
        """Return the root of the subtree over leaves [start, end).

        ``start`` must be 0 or a multiple of the smallest power of two >= end - start: the
        subtrees that occur in RFC 9162 trees and proofs.
        """
        if not 0 <= start <= end <= self.size:
            raise ValueError(f"[{start}, {end}) is not within a tree of {self.size}")
        if start == end:
            return EMPTY_ROOT
        length = end - start
        if start and start % (1 << (length - 1).bit_length()):
            raise ValueError(f"[{start}, {end}) is not a subtree")
        parts = []
        lo = start
        while lo < end:
            height = (end - lo).bit_length() - 1
            parts.append(self._perfect(height, lo >> height))
            lo += 1 << height
        return _fold(parts)

    def root(self, size: int | None = None) -> bytes:
        """Return the root of the tree of the first ``size`` leaves (default: all of them)."""
        return self.subtree_hash(0, self.size if size is None else size)

    def frontier(self, size: int | None = None) -> Frontier:
        """Return the frontier of the first ``size`` leaves (default: all of them)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"no prefix of {size} leaves in a tree of {self.size}")
        hashes = []
        lo = 0
        while lo < size:
            height = (size - lo).bit_length() - 1
            hashes.append(self._perfect(height, lo >> height))
            lo += 1 << height
        return Frontier(size, hashes)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Return the audit path of leaf ``index`` in the tree of ``size`` leaves (§2.1.3.1)."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"no leaf {index} in a tree of {size} (of {self.size})")
        path = []
        lo, hi = 0, size
        # Top-down: the sibling of each subtree that holds the leaf; the RFC lists them bottom-up.
        while hi - lo > 1:
            k = _split(hi - lo)
            if index < lo + k:
                path.append(self.subtree_hash(lo + k, hi))
                hi = lo + k
            else:
                path.append(self.subtree_hash(lo, lo + k))
                lo += k
        path.reverse()
        return path

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """Return the proof that the tree of ``size1`` leaves is a prefix of ``size2`` (§2.1.4.1).

        The proof from an empty tree or to the same size is empty.
        """
        size2 = self.size if size2 is None else size2
        if not 0 <= size1 <= size2 <= self.size:
            raise ValueError(f"no consistency proof from {size1} to {size2} (of {self.size})")
        if size1 in (0, size2):
            return []
        proof = []
        lo, hi, m = 0, size2, size1
        whole = True  # SUBPROOF's flag b: the old tree is still the whole subtree's left edge
        while m != hi - lo:
            k = _split(hi - lo)
            if m <= k:
                proof.append(self.subtree_hash(lo + k, hi))
                hi = lo + k
            else:
                proof.append(self.subtree_hash(lo, lo + k))
                lo += k
                m -= k
                whole = False
        if not whole:
            proof.append(self.subtree_hash(lo, hi))
        proof.reverse()
        return proof


def _valid_hashes(hashes: Iterable[bytes]) -> bool:
    return all(isinstance(h, bytes | bytearray) and len(h) == HASH_SIZE for h in hashes)


def root_from_inclusion_proof(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes | None:
    """Return the root ``proof`` leads to from leaf ``index`` of ``size``, or None (§2.1.3.2)."""
    if not 0 <= index < size or not _valid_hashes([leaf, *proof]):
        return None
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Return whether ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree ``root``."""
    if len(root) != HASH_SIZE:
        return False
    return root_from_inclusion_proof(leaf, index, size, proof) == root


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> bool:
    """Return whether ``proof`` shows tree ``root1`` of ``size1`` a prefix of ``root2`` (§2.1.4.2).

    As in transparency-dev/merkle: equal sizes need equal roots and an empty proof, and a proof
    from the empty tree is refused as meaningless (the empty tree is a prefix of every tree).
    """
    if not 0 < size1 <= size2:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if not proof or not _valid_hashes(proof):
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:
        # The old tree is a perfect subtree of the new one: it is the proof's first node.
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2
