"""Public pages: the notice board and objections (to be completed)."""

from flask import Blueprint

bp = Blueprint("public", __name__, url_prefix="/notices")
