"""Form definitions: TOML forms to WTForms, with their validators."""
