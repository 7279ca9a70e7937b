"""The archive of honoured workers: people, search, spreadsheets, verification, revocation."""
