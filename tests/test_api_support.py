"""Helpers for the API tests: a client that calls /api/v1 as a user with their own bearer token.

This module holds no tests; the ``test_api_*`` files import it.
"""

from __future__ import annotations

import io
from typing import Any

from flask import g
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from nomination.accounts import create_api_token

from factories import pdf, person_data, recommendation

#: A well-formed objection from a member of the public.
OBJECTION = {
    "objector_name": "赵某某",
    "objector_phone": "13800138000",
    "objector_address": "北京市朝阳区某路1号",
    "facts": "该同志2025年曾因安全生产事故受到处分,不符合推荐条件。",
}


class Api:
    """Call the JSON API as one of the tree's users (each with a token) or anonymously."""

    def __init__(self, client: FlaskClient, session: Any, tree: Any):
        self.client = client
        self.tokens = {
            name: create_api_token(session, user, name="tests", actor=user)
            for name, user in tree.users.items()
        }
        # Requests end with a commit or a rollback of the session they share with the test
        # (a savepoint of the test's transaction): make the fixtures part of what they keep.
        session.commit()

    def call(self, method: str, path: str, user: str | None = None, **kwargs: Any) -> TestResponse:
        """Send a request to ``/api/v1{path}`` as ``user`` (None: no credentials)."""
        headers = dict(kwargs.pop("headers", {}))
        if user is not None:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        # The conftest client forgets the cached user; forget the bearer marker too.
        g.pop("bearer_token", None)
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def get(self, path: str, user: str | None = None, **kwargs: Any) -> TestResponse:
        """GET as ``user``."""
        return self.call("GET", path, user, **kwargs)

    def post(self, path: str, user: str | None = None, **kwargs: Any) -> TestResponse:
        """POST as ``user``."""
        return self.call("POST", path, user, **kwargs)

    def patch(self, path: str, user: str | None = None, **kwargs: Any) -> TestResponse:
        """PATCH as ``user``."""
        return self.call("PATCH", path, user, **kwargs)

    def create(
        self,
        user: str = "unit1",
        kind: str = "individual",
        data: dict | None = None,
        files: bool = True,
        **person: Any,
    ) -> dict:
        """Create a nomination (default: ``person_data(**person)``); return it, asserting 201.

        With ``files``, the files its definition requires are uploaded through the API.
        """
        campaign_id = self.get("/campaigns", user).json["items"][0]["id"]
        response = self.post(
            "/nominations",
            user,
            json={
                "campaign_id": campaign_id,
                "award_kind": kind,
                "data": person_data(**person) if data is None else data,
            },
        )
        assert response.status_code == 201, response.json
        created = response.json
        if files:
            kinds = self.get("/campaigns", user).json["items"][0]["awards"]
            award = next(a for a in kinds if a["kind"] == kind)
            for purpose in [f["purpose"] for f in award["files"] if f["required_for"]]:
                created = self.upload(created, user, purpose)
        return created

    def upload(
        self, nomination: dict, user: str, purpose: str, content: bytes | None = None
    ) -> dict:
        """Upload a file for ``purpose`` to the nomination; return it, asserting 201."""
        response = self.post(
            f"/nominations/{nomination['id']}/attachments",
            user,
            data={
                "purpose": purpose,
                "file": (io.BytesIO(content or pdf(purpose)), f"{purpose}.pdf"),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 201, response.json
        return response.json

    def fire(
        self, nomination: dict, user: str, trigger: str, expect: int = 200, **fields: Any
    ) -> dict:
        """Fire ``trigger`` with the current version; return the JSON (asserting ``expect``)."""
        response = self.post(
            f"/nominations/{nomination['id']}/transitions",
            user,
            json={"trigger": trigger, "version": nomination["version"], **fields},
        )
        assert response.status_code == expect, response.json
        return response.json

    def walk_to_notice(self, nomination: dict) -> dict:
        """Take a draft through every level to public notice, each role with its own token."""
        n = self.fire(nomination, "unit1", "recommend", **recommendation())
        assert n["state"]["name"] == "committee_review"
        n = self.fire(n, "committee1", "forward", comment="同意推荐")
        n = self.fire(n, "federation", "accept", comment="符合条件")
        n = self.fire(n, "federation", "consultation_clear", comment="各部门无异议")
        n = self.fire(n, "federation", "select", comment="评审通过")
        assert n["state"]["name"] == "public_notice"
        return n
