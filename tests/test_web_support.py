"""Shared fixtures and helpers of the web request tests (this module holds no tests itself).

Test modules load the fixtures with ``pytest_plugins = ["test_web_support"]`` and import the
helpers they call. The fixture is ``web_client``, not ``client``: conftest's would take precedence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from nomination.engine import fire

from clients import WebClient
from factories import PASSWORD, recommendation


@pytest.fixture
def new_web_client(app: Flask, session: Any) -> Callable[[], WebClient]:
    """Return a factory of independent browsers (each with its own cookies)."""
    return lambda: WebClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def web_client(new_web_client: Callable[[], WebClient]) -> WebClient:
    """A browser whose requests share the test's transaction."""
    return new_web_client()


@pytest.fixture
def web(session: Any, tree: Any) -> Any:
    """The small federation with its open campaign, committed to the test's transaction.

    A request that fails rolls back its own work only; committing here keeps the federation
    (the outer transaction is still rolled back after the test).
    """
    session.commit()
    return tree


def login(client: FlaskClient, username: str, password: str = PASSWORD, **kwargs: Any) -> Any:
    """Log ``client`` in as ``username``."""
    return client.post("/login", data={"username": username, "password": password}, **kwargs)


def as_form(data: dict[str, Any]) -> dict[str, str]:
    """Return JSON-like data as a browser would post it (booleans as checkbox values)."""
    out = {}
    for key, value in data.items():
        if value is True:
            out[key] = "y"
        elif value not in (False, None):
            out[key] = str(value)
    return out


def field_block(html: str, name: str) -> str:
    """Return the HTML of the field ``name``: its label, input, help and errors."""
    start = html.index(f'data-field="{name}"')
    ends = [html.find(mark, start + 1) for mark in ('data-field="', "</form>")]
    return html[start : min(e for e in ends if e > 0)]


def walk_to_notice(nomination: Any, tree: Any) -> None:
    """Take a nomination through the engine onto public notice (at the tests' fixed clock)."""
    u = tree.users
    fire(nomination, "recommend", u["unit1"], data=recommendation())
    fire(nomination, "forward", u["committee1"], data={"comment": "同意"})
    fire(nomination, "accept", u["federation"], data={"comment": "符合条件"})
    fire(nomination, "consultation_clear", u["federation"], data={"comment": "各部门无异议"})
    fire(nomination, "select", u["federation"], data={"comment": "评审通过"})
