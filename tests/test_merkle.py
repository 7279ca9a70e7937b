"""The RFC 9162 Merkle tree: published test vectors, a brute-force reference, tampered proofs."""

from __future__ import annotations

import base64
import hashlib

import pytest

from nomination.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    MerkleTree,
    leaf_hash,
    node_hash,
    payload_leaf_hash,
    root_from_inclusion_proof,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# --- published vectors -----------------------------------------------------------------------
# The values below are taken from the public repository transparency-dev/merkle (Apache-2.0):
# rfc6962/rfc6962_test.go (hasher), testonly/constants.go (leaf inputs, roots, node hashes),
# testdata/inclusion/*/happy-path.json and testdata/consistency/*/happy-path.json with
# proof/verify_test.go (proofs), testdata/*/additional and testdata/inclusion/single-entry (edge
# cases) and testonly/vectors_test.go (the accumulated vectors of the "Subtree Test Vectors"
# appendix of draft-ietf-plants-merkle-tree-certs). Only the values: the code here is our own.

LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in (
        *("", "00", "10", "2021", "3031", "40414243", "5051525354555657"),
        "606162636465666768696a6b6c6d6e6f",
    )
]
#: ROOTS[n] is the root of the tree of the first n leaf inputs.
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
#: NODE_HASHES[level] are the aligned perfect subtrees of 2**level leaves of the 8-leaf tree.
NODE_HASHES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]
H_96A2 = "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
H_5F08 = "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
H_6B47 = "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
H_BC1A = "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
H_CA85 = "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
H_D37E = "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
H_FAC5 = "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
H_6E34 = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
H_0EBC = "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"
H_B086 = "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"
#: (leaf index, tree size, audit path)
INCLUSION = [
    (0, 1, []),
    (0, 8, [H_96A2, H_5F08, H_6B47]),
    (5, 8, [H_BC1A, H_CA85, H_D37E]),
    (2, 3, [H_FAC5]),
    (1, 5, [H_6E34, H_5F08, H_BC1A]),
]
#: (size1, size2, proof)
CONSISTENCY = [
    (1, 1, []),
    (1, 8, [H_96A2, H_5F08, H_6B47]),
    (6, 8, [H_0EBC, H_CA85, H_D37E]),
    (2, 5, [H_5F08, H_BC1A]),
    (6, 7, [H_0EBC, H_B086, H_D37E]),
]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
DONT_CARE_1 = b"don't care 1"
DONT_CARE_2 = b"don't care 2"
SINGLE_ENTRY = base64.b64decode("DTrtAjFI/9KiWfvQzcf7PPl1ZYdg03dbgq9vkKrMLfw=")
#: testdata/consistency/additional: (size1, size2, root1, root2, proof, valid)
CONSISTENCY_EDGES = [
    (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    (0, 0, EMPTY_ROOT, DONT_CARE_2, [], False),
    (1, 1, EMPTY_ROOT, DONT_CARE_2, [], False),
    (2, 1, DONT_CARE_1, DONT_CARE_2, [], False),
    (1, 0, DONT_CARE_1, DONT_CARE_2, [], False),
    (0, 1, DONT_CARE_1, DONT_CARE_2, [], False),
    (0, 1, EMPTY_ROOT, DONT_CARE_2, [], False),
    (1, 1, DONT_CARE_2, DONT_CARE_2, [], True),
    (1, 1, DONT_CARE_1, DONT_CARE_2, [], False),
    (0, 0, DONT_CARE_1, DONT_CARE_1, [], False),
    (0, 0, DONT_CARE_1, DONT_CARE_2, [], False),
    (1, 2, DONT_CARE_1, DONT_CARE_2, [], False),
    (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
]
#: testdata/inclusion/additional and single-entry: (index, size, root, leaf hash, valid)
INCLUSION_EDGES = [
    (0, 0, EMPTY_ROOT, SOME_HASH, False),
    (0, 0, EMPTY_ROOT, b"", False),
    (0, 0, b"", SOME_HASH, False),
    (0, 1, SINGLE_ENTRY, b"", False),
    (0, 1, b"", b"", False),
    (0, 1, b"", SINGLE_ENTRY, False),
    (0, 1, SINGLE_ENTRY, SINGLE_ENTRY, True),
]
#: testonly/vectors_test.go: rolling SHA-256 over every subtree of the 130-leaf tree.
SUBTREE_HASH_VECTOR = "b82806ad4265bb151c1119c0f4db437bb4d1a1f887b3a7fba1cd4ebf552e3e81"
SUBTREE_INCLUSION_VECTOR = "ac2a8f989e44d99e399db448050ff5f19757df53cfb716aa81015d3955d8163f"


def hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


@pytest.fixture(scope="module")
def tree8() -> MerkleTree:
    return MerkleTree(leaf_hash(d) for d in LEAF_INPUTS)


def test_hasher_vectors():
    assert EMPTY_ROOT.hex() == ROOTS[0].hex()
    assert leaf_hash(b"").hex() == H_6E34
    assert leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )
    # Domain separation: a node is not the leaf of its children's concatenation.
    a, b = leaf_hash(b"Hello"), leaf_hash(b"World")
    assert node_hash(a, b) != leaf_hash(a + b)
    assert node_hash(a, b) != node_hash(b, a)


def test_payload_leaf_is_the_utf8_payload():
    payload = '{"actor_name":"张建国","seq":1}'
    assert payload_leaf_hash(payload) == leaf_hash(payload.encode("utf-8"))


def test_roots_of_every_size(tree8):
    for n, expected in enumerate(ROOTS):
        assert tree8.root(n) == expected, n
        assert root_of(leaf_hash(d) for d in LEAF_INPUTS[:n]) == expected, n


def test_levels_hold_the_published_node_hashes(tree8):
    for height, row in enumerate(NODE_HASHES):
        level = tree8.levels[height]
        assert [level[i : i + 32].hex() for i in range(0, len(level), 32)] == row


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_vectors(tree8, index, size, path):
    proof = hexes(path)
    assert tree8.inclusion_proof(index, size) == proof
    leaf = leaf_hash(LEAF_INPUTS[index])
    assert root_from_inclusion_proof(leaf, index, size, proof) == ROOTS[size]
    assert verify_inclusion(leaf, index, size, proof, ROOTS[size])
    for desc, probe in inclusion_probes(leaf, index, size, proof, ROOTS[size]):
        assert not verify_inclusion(*probe), desc


@pytest.mark.parametrize(("size1", "size2", "path"), CONSISTENCY)
def test_consistency_vectors(tree8, size1, size2, path):
    proof = hexes(path)
    assert tree8.consistency_proof(size1, size2) == proof
    assert verify_consistency(size1, size2, ROOTS[size1], ROOTS[size2], proof)
    if proof:
        for desc, probe in consistency_probes(size1, size2, ROOTS[size1], ROOTS[size2], proof):
            assert not verify_consistency(*probe), desc


@pytest.mark.parametrize(("size1", "size2", "root1", "root2", "proof", "valid"), CONSISTENCY_EDGES)
def test_consistency_edge_vectors(size1, size2, root1, root2, proof, valid):
    assert verify_consistency(size1, size2, root1, root2, proof) is valid


@pytest.mark.parametrize(("index", "size", "root", "leaf", "valid"), INCLUSION_EDGES)
def test_inclusion_edge_vectors(index, size, root, leaf, valid):
    assert verify_inclusion(leaf, index, size, [], root) is valid


def _is_subtree(start: int, end: int) -> bool:
    if start in (0, end):
        return True
    return start % (1 << (end - start - 1).bit_length()) == 0


def test_accumulated_subtree_hash_vector():
    # Leaves d[i] = bytes([i]) for i < 130; every valid subtree [start, end) of every prefix.
    leaves = [leaf_hash(bytes([i])) for i in range(130)]
    tree = MerkleTree(leaves)
    rolling = hashlib.sha256()
    for end in range(131):
        for start in range(end + 1):
            if _is_subtree(start, end):
                rolling.update(f"[{start}, {end}) {tree.subtree_hash(start, end).hex()}\n".encode())
    assert rolling.hexdigest() == SUBTREE_HASH_VECTOR


def test_accumulated_subtree_inclusion_vector():
    # An aligned subtree is an RFC 9162 tree of its own: its proofs are those of its leaves.
    leaves = [leaf_hash(bytes([i])) for i in range(130)]
    rolling = hashlib.sha256()
    for end in range(131):
        for start in range(end + 1):
            if not _is_subtree(start, end):
                continue
            sub = MerkleTree(leaves[start:end])
            for index in range(start, end):
                path = "".join(f" {h.hex()}" for h in sub.inclusion_proof(index - start))
                rolling.update(f"{index} [{start}, {end}){path}\n".encode())
    assert rolling.hexdigest() == SUBTREE_INCLUSION_VECTOR


# --- tampered proofs -------------------------------------------------------------------------


def _flip(proof: list[bytes], i: int, bit: int) -> list[bytes]:
    changed = list(proof)
    changed[i] = bytes([changed[i][0] ^ bit]) + changed[i][1:]
    return changed


def inclusion_probes(leaf, index, size, proof, root):
    """Yield (description, arguments) of inclusion checks that must all fail."""
    yield "index - 1", (leaf, index - 1, size, proof, root)
    yield "index + 1", (leaf, index + 1, size, proof, root)
    yield "index ^ 2", (leaf, index ^ 2, size, proof, root)
    yield "size * 2", (leaf, index, size * 2, proof, root)
    yield "size / 2", (leaf, index, size // 2, proof, root)
    yield "wrong leaf", (b"WrongLeaf", index, size, proof, root)
    yield "other leaf", (leaf_hash(b"other"), index, size, proof, root)
    yield "empty root", (leaf, index, size, proof, EMPTY_ROOT)
    yield "random root", (leaf, index, size, proof, SOME_HASH)
    yield "trailing garbage", (leaf, index, size, [*proof, b""], root)
    yield "trailing root", (leaf, index, size, [*proof, root], root)
    yield "preceding garbage", (leaf, index, size, [b"", *proof], root)
    yield "preceding root", (leaf, index, size, [root, *proof], root)
    for i in range(len(proof)):
        yield f"modified proof[{i}]", (leaf, index, size, _flip(proof, i, 8), root)
    if proof:
        yield "removed component", (leaf, index, size, proof[:-1], root)
    if len(proof) > 1:
        yield "inserted component", (leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root)


def consistency_probes(size1, size2, root1, root2, proof):
    """Yield (description, arguments) of consistency checks that must all fail."""
    yield "size1 - 1", (size1 - 1, size2, root1, root2, proof)
    yield "size1 + 1", (size1 + 1, size2, root1, root2, proof)
    yield "size1 ^ 2", (size1 ^ 2, size2, root1, root2, proof)
    yield "size2 * 2", (size1, size2 * 2, root1, root2, proof)
    yield "size2 / 2", (size1, size2 // 2, root1, root2, proof)
    yield "wrong root1", (size1, size2, b"WrongRoot", root2, proof)
    yield "wrong root2", (size1, size2, root1, b"WrongRoot", proof)
    yield "swapped roots", (size1, size2, root2, root1, proof)
    yield "empty proof", (size1, size2, root1, root2, [])
    yield "trailing garbage", (size1, size2, root1, root2, [*proof, b""])
    yield "trailing root1", (size1, size2, root1, root2, [*proof, root1])
    yield "trailing root2", (size1, size2, root1, root2, [*proof, root2])
    yield "preceding garbage", (size1, size2, root1, root2, [b"", *proof])
    yield "preceding root1", (size1, size2, root1, root2, [root1, *proof])
    yield "preceding root2", (size1, size2, root1, root2, [root2, *proof])
    yield "preceding proof[0]", (size1, size2, root1, root2, [proof[0], *proof])
    yield "truncated proof", (size1, size2, root1, root2, proof[:-1])
    for i in range(len(proof)):
        yield f"modified proof[{i}]", (size1, size2, root1, root2, _flip(proof, i, 16))


# --- a brute-force reference: the RFC's recursive definitions, word for word -----------------


def ref_split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(data: list[bytes]) -> bytes:
    if not data:
        return hashlib.sha256(b"").digest()
    if len(data) == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = ref_split(len(data))
    return hashlib.sha256(b"\x01" + ref_mth(data[:k]) + ref_mth(data[k:])).digest()


def ref_path(m: int, data: list[bytes]) -> list[bytes]:
    if len(data) == 1:
        return []
    k = ref_split(len(data))
    if m < k:
        return [*ref_path(m, data[:k]), ref_mth(data[k:])]
    return [*ref_path(m - k, data[k:]), ref_mth(data[:k])]


def ref_subproof(m: int, data: list[bytes], whole: bool) -> list[bytes]:
    n = len(data)
    if m == n:
        return [] if whole else [ref_mth(data)]
    k = ref_split(n)
    if m <= k:
        return [*ref_subproof(m, data[:k], whole), ref_mth(data[k:])]
    return [*ref_subproof(m - k, data[k:], False), ref_mth(data[:k])]


SIZES = 40
DATA = [f"event {i}".encode() for i in range(SIZES)]


@pytest.fixture(scope="module")
def tree40() -> MerkleTree:
    return MerkleTree(leaf_hash(d) for d in DATA)


def test_roots_match_the_reference_for_every_size(tree40):
    frontier = Frontier()
    assert frontier.root() == EMPTY_ROOT == tree40.root(0)
    for n in range(1, SIZES + 1):
        frontier.append(leaf_hash(DATA[n - 1]))
        expected = ref_mth(DATA[:n])
        assert tree40.root(n) == expected, n
        assert frontier.root() == expected, n
        # A frontier stored at n and resumed gives the same roots as one that never stopped.
        resumed = Frontier(frontier.size, frontier.hashes)
        resumed.extend(leaf_hash(d) for d in DATA[n:])
        assert resumed.root() == tree40.root(SIZES)


def test_inclusion_proofs_for_every_size(tree40):
    for size in range(1, SIZES + 1):
        root = tree40.root(size)
        for index in range(size):
            proof = tree40.inclusion_proof(index, size)
            assert proof == ref_path(index, DATA[:size]), (index, size)
            leaf = leaf_hash(DATA[index])
            assert verify_inclusion(leaf, index, size, proof, root), (index, size)
            # Any other leaf, position or tree fails with the same proof.
            assert not verify_inclusion(leaf_hash(b"forged"), index, size, proof, root)
            for desc, probe in inclusion_probes(leaf, index, size, proof, root):
                assert not verify_inclusion(*probe), (desc, index, size)


def test_consistency_proofs_for_every_pair_of_sizes(tree40):
    for size2 in range(1, SIZES + 1):
        root2 = tree40.root(size2)
        for size1 in range(1, size2 + 1):
            root1 = tree40.root(size1)
            proof = tree40.consistency_proof(size1, size2)
            assert proof == ref_subproof(size1, DATA[:size2], True), (size1, size2)
            assert verify_consistency(size1, size2, root1, root2, proof), (size1, size2)
            if size1 == size2:
                assert not verify_consistency(size1, size2, root1, SOME_HASH, proof)
                continue
            # A tree that differs in any one of the old leaves is not extended by the new one.
            for changed in range(size1):
                other = [*DATA[:size1]]
                other[changed] = b"rewritten"
                assert not verify_consistency(size1, size2, ref_mth(other), root2, proof)
            for desc, probe in consistency_probes(size1, size2, root1, root2, proof):
                assert not verify_consistency(*probe), (desc, size1, size2)


def test_bad_arguments_are_refused(tree8):
    with pytest.raises(ValueError):
        tree8.inclusion_proof(8, 8)
    with pytest.raises(ValueError):
        tree8.inclusion_proof(0, 9)
    with pytest.raises(ValueError):
        tree8.consistency_proof(5, 4)
    with pytest.raises(ValueError):
        tree8.subtree_hash(1, 3)  # not a subtree of any RFC 9162 tree
    with pytest.raises(ValueError):
        Frontier(3, [SOME_HASH])
    with pytest.raises(ValueError):
        MerkleTree([b"short"])


def test_large_tree_is_fast_and_agrees_with_the_stream():
    import time

    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(100_000)]
    started = time.perf_counter()
    tree = MerkleTree(leaves)
    built = time.perf_counter() - started
    assert tree.root() == root_of(leaves)
    assert built < 2.0, built
    index, size = 77_777, 99_999
    proof = tree.inclusion_proof(index, size)
    assert len(proof) <= 17
    assert verify_inclusion(leaves[index], index, size, proof, tree.root(size))
    proof = tree.consistency_proof(65_537, size)
    assert verify_consistency(65_537, size, tree.root(65_537), tree.root(size), proof)
