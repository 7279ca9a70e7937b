"""The audit trail: chain, personal data, checkpoints, Merkle proofs, offline checks, reading."""
