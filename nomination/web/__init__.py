"""The web application: blueprints, request boundary, login and language."""
