"""Schemathesis against the OpenAPI document: examples generated from it meet no server error.

Every documented operation is called with a bounded number of generated requests (valid ones
and ones the schema forbids), anonymously, with a federation reviewer's bearer token and with an
administrator's (who reaches the administration API), on each database backend. A 500 fails
the test and names the request that caused it.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

import nomination.api
from nomination.accounts import create_api_token
from nomination.api.openapi import document

#: Generated requests per operation and caller: bounded, so that CI stays quick (raise it with
#: NOMINATION_FUZZ_EXAMPLES for a longer search; 25 found nothing more on 2026-12-08).
EXAMPLES = int(os.environ.get("NOMINATION_FUZZ_EXAMPLES", "10"))


@pytest.fixture
def tokens(session: Any, tree: Any) -> dict[str, dict[str, str]]:
    """The headers of each caller: nobody, the federation reviewer's or the admin's token."""
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for name in ("federation", "admin"):
        user = tree.users[name]
        token = create_api_token(session, user, name="fuzz", actor=user)
        headers[name] = {"Authorization": f"Bearer {token}"}
    # Requests commit or roll back the test's savepoint: keep the fixtures in it.
    session.commit()
    return headers


# Each API module adds its own paths to the document when imported (as the app does).
for module in pkgutil.iter_modules(nomination.api.__path__):
    importlib.import_module(f"nomination.api.{module.name}")

#: The document the API serves (built from the packaged definitions).
schema = schemathesis.openapi.from_dict(document())


_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def _check(case: Any, app: Any, client: Any, headers: dict[str, str]) -> None:
    response = case.call(session=client, app=app, headers=headers)
    case.validate_response(response, checks=[not_a_server_error], headers=headers)


@schema.parametrize()
@_SETTINGS
def test_no_anonymous_request_is_a_server_error(case, app, client, tokens):
    _check(case, app, client, tokens["anonymous"])


@schema.parametrize()
@_SETTINGS
def test_no_federation_request_is_a_server_error(case, app, client, tokens):
    _check(case, app, client, tokens["federation"])


@schema.parametrize()
@_SETTINGS
def test_no_administrator_request_is_a_server_error(case, app, client, tokens):
    _check(case, app, client, tokens["admin"])
