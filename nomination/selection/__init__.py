"""Selection (评审): rounds, judges, votes and their results."""
