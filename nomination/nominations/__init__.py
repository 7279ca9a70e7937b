"""Nominations: operations, queries, rules, the printed form and batch import."""
