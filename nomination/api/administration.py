"""JSON API of the administration: organisations, users, campaigns, for administrators only.

Routes on the API blueprint (``/api/v1``); any other caller gets 403, and an organisation,
user or campaign outside the administrator's federation 404. Each write calls the same
operation as the pages. An object's ``version`` (a digest of what it holds) may be sent back
as ``expected``: a change made meanwhile is then a 409, never overwritten.

    GET, POST   /admin/organisations                 list (kind, q) / create
    GET, PATCH  /admin/organisations/{org_id}        one / change names, credit code, contact
    POST        /admin/organisations/{org_id}/move   {parent_id, reason}
    POST        /admin/organisations/{org_id}/active {active, reason}
    GET, POST   /admin/users                         list (q, role) / create (temporary password)
    GET, PATCH  /admin/users/{user_id}               one / change person, workplace, roles
    POST        /admin/users/{user_id}/password      {how: temporary | link}
    POST        /admin/users/{user_id}/active        {active, reason}
    GET, POST   /admin/campaigns                     list / create a draft, or copy one
    GET, PATCH  /admin/campaigns/{campaign_id}       one with quotas and judges / change it
    POST        /admin/campaigns/{campaign_id}/status   {action: open | close | reopen | archive}
    PUT         /admin/campaigns/{campaign_id}/quotas   {quotas: [...]}, all or nothing
    PUT         /admin/campaigns/{campaign_id}/judges   {members: [ids], chair}
    POST        /admin/campaigns/{campaign_id}/bars     {organisation_id, reason}
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import or_, select

from nomination import db, engine
from nomination.administration import campaigns as ops_campaigns
from nomination.administration import organisations as ops_orgs
from nomination.administration import people as ops_people
from nomination.administration import security as ops_security
from nomination.administration.checks import CODE, USERNAME
from nomination.administration.security import STRONG_ROLES
from nomination.api import openapi, serialise
from nomination.api.openapi import _body, _json, _object, _op, _query
from nomination.api.views import _json_body, _top_level, bp
from nomination.errors import InvalidData, NotFound, PermissionDenied
from nomination.models import ApiToken, Campaign, Organisation, RoleAssignment, UnitBar, User
from nomination.models.orgs import ORG_KINDS
from nomination.models.users import ROLES
from nomination.permissions import (
    administered_roots,
    can_administer,
    can_administer_org,
    can_administer_user,
)
from nomination.web.outcomes import operation_errors

_MAX = 500


def _root() -> Organisation:
    roots = administered_roots(current_user)
    if not can_administer(current_user) or not roots:
        raise PermissionDenied("only administrators administer")
    return roots[0]


def _org(org_id: Any, field: str | None = None) -> Organisation:
    org = db.session.get(Organisation, org_id) if isinstance(org_id, int) else None
    if org is None or not can_administer_org(current_user, org):
        if field:
            raise InvalidData(f"no such {field}", fields={field: ["no such organisation"]})
        raise NotFound("no such organisation")
    return org


def _user(user_id: int) -> User:
    _root()
    account = db.session.get(User, user_id)
    if account is None or not can_administer_user(current_user, account):
        raise NotFound("no such user")
    return account


def _campaign(campaign_id: int) -> Campaign:
    _root()
    row = db.session.get(Campaign, campaign_id)
    if row is None or not can_administer_org(current_user, row.federation):
        raise NotFound("no such campaign")
    return row


def organisation_json(org: Organisation) -> dict[str, Any]:
    """Describe an organisation as an administrator sees it."""
    return {
        **serialise.organisation(org),
        "parent_id": org.parent_id,
        "uscc": org.uscc,
        "contact_person": org.contact_person,
        "contact_phone": org.contact_phone,
        "active": org.active,
        "version": ops_orgs.fingerprint(org),
    }


def user_json(account: User) -> dict[str, Any]:
    """Describe a user as an administrator sees it."""
    return {
        "id": account.id,
        "username": account.username,
        "display_name": account.display_name,
        "email": account.email,
        "active": account.active,
        "must_change_password": account.must_change_password,
        "second_factor": account.totp_confirmed_at is not None,
        "workplace_id": account.workplace_id,
        "roles": [{"role": r.role, "organisation_id": r.organisation_id} for r in account.roles],
        "version": ops_people.fingerprint(account),
    }


def campaign_json(row: Campaign) -> dict[str, Any]:
    """Describe a campaign with every setting, its awards, quotas and judges."""
    out: dict[str, Any] = {"id": row.id, "year": row.year, "name": row.name, "status": row.status}
    for name in ops_campaigns.SETTINGS:
        value = getattr(row, name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    out["awards"] = {
        a.kind: {"title": a.title, "title_en": a.title_en, "definition": a.definition_hash}
        for a in row.awards
    }
    out["quotas"] = [
        {"organisation_id": q.committee_id, "kind": q.kind, "places": q.places}
        for q in sorted(row.quotas, key=lambda q: (q.committee_id, q.kind))
    ]
    out["judges"] = [{"user_id": j.user_id, "chair": j.chair} for j in row.judges]
    out["version"] = ops_campaigns.fingerprint(row)
    return out


# --- organisations ---------------------------------------------------------------------------

_ORG_FIELDS = {"name_en": str, "uscc": str, "contact_person": str, "contact_phone": str}


@bp.get("/admin/organisations")
def admin_list_organisations() -> ResponseReturnValue:
    """List the organisations below the administrator's federation."""
    root = _root()
    query = select(Organisation).where(Organisation.path.startswith(root.path))
    kind = request.args.get("kind", "")
    if kind:
        if kind not in ORG_KINDS:
            raise InvalidData("unknown kind", fields={"kind": [f"one of {', '.join(ORG_KINDS)}"]})
        query = query.where(Organisation.kind == kind)
    if text := request.args.get("q", "").strip():
        like = f"%{text}%"
        query = query.where(or_(Organisation.name.ilike(like), Organisation.code.ilike(like)))
    rows = db.session.scalars(query.order_by(Organisation.path).limit(_MAX + 1)).all()
    return jsonify(
        {"items": [organisation_json(o) for o in rows[:_MAX]], "truncated": len(rows) > _MAX}
    )


@bp.post("/admin/organisations")
def admin_create_organisation() -> ResponseReturnValue:
    """Create a committee, unit or department."""
    _root()
    body = _top_level(
        _json_body(), {"code": str, "name": str, "kind": str, "parent_id": int}, _ORG_FIELDS
    )
    parent = _org(body.pop("parent_id"), "parent_id")
    org = ops_orgs.create_organisation(db.session, actor=current_user, parent=parent, **body)
    response = jsonify(organisation_json(org))
    response.headers["Location"] = url_for(".admin_get_organisation", org_id=org.id)
    return response, 201


@bp.get("/admin/organisations/<int:org_id>")
def admin_get_organisation(org_id: int) -> ResponseReturnValue:
    """Return one organisation."""
    _root()
    return jsonify(organisation_json(_org(org_id)))


@bp.patch("/admin/organisations/<int:org_id>")
def admin_update_organisation(org_id: int) -> ResponseReturnValue:
    """Change an organisation's names, credit code or contact (fields not sent are kept)."""
    _root()
    org = _org(org_id)
    body = _top_level(_json_body(), {}, {"name": str, "expected": str, **_ORG_FIELDS})
    current = {k: getattr(org, k) for k in ("name", *_ORG_FIELDS)}
    expected = body.pop("expected", None)
    ops_orgs.update_organisation(org, actor=current_user, expected=expected, **{**current, **body})
    return jsonify(organisation_json(org))


@bp.post("/admin/organisations/<int:org_id>/move")
def admin_move_organisation(org_id: int) -> ResponseReturnValue:
    """Move a unit to another committee; its open nominations follow."""
    _root()
    org = _org(org_id)
    body = _top_level(_json_body(), {"parent_id": int, "reason": str}, {"expected": str})
    following = ops_orgs.move_organisation(
        org,
        actor=current_user,
        parent=_org(body["parent_id"], "parent_id"),
        reason=body["reason"],
        expected=body.get("expected"),
    )
    return jsonify({**organisation_json(org), "nominations_moved": following})


@bp.post("/admin/organisations/<int:org_id>/active")
def admin_set_organisation_active(org_id: int) -> ResponseReturnValue:
    """Deactivate or reactivate an organisation."""
    _root()
    org = _org(org_id)
    body = _top_level(_json_body(), {"active": bool, "reason": str}, {"expected": str})
    ops_orgs.set_organisation_active(
        org,
        actor=current_user,
        active=body["active"],
        reason=body["reason"],
        expected=body.get("expected"),
    )
    return jsonify(organisation_json(org))


# --- users -----------------------------------------------------------------------------------


def _roles(value: Any) -> list[tuple[str, Organisation]]:
    if not isinstance(value, list) or not all(
        isinstance(r, dict)
        and isinstance(r.get("role"), str)
        and isinstance(r.get("organisation_id"), int)
        and not isinstance(r.get("organisation_id"), bool)
        for r in value
    ):
        raise InvalidData(
            "roles", fields={"roles": ['a list of {"role": name, "organisation_id": id}']}
        )
    return [(r["role"], _org(r["organisation_id"], "roles")) for r in value]


def _workplace(body: dict[str, Any]) -> Organisation | None:
    value = body.get("workplace_id")
    return None if value is None else _org(value, "workplace_id")


@bp.get("/admin/users")
def admin_list_users() -> ResponseReturnValue:
    """List the accounts, filtered by a name and a role."""
    _root()
    query = select(User)
    if text := request.args.get("q", "").strip():
        like = f"%{text}%"
        query = query.where(or_(User.username.ilike(like), User.display_name.ilike(like)))
    role = request.args.get("role", "")
    if role:
        if role not in ROLES:
            raise InvalidData("unknown role", fields={"role": [f"one of {', '.join(ROLES)}"]})
        query = query.where(User.roles.any(RoleAssignment.role == role))
    rows = db.session.scalars(query.order_by(User.username).limit(_MAX + 1)).all()
    return jsonify({"items": [user_json(u) for u in rows[:_MAX]], "truncated": len(rows) > _MAX})


@bp.post("/admin/users")
def admin_create_user() -> ResponseReturnValue:
    """Create an account; its temporary password is in the answer, once."""
    _root()
    body = _top_level(
        _json_body(),
        {"username": str, "display_name": str, "roles": list},
        {"email": str, "workplace_id": int},
    )
    password = ops_people.temporary_password()
    account = ops_people.create_user(
        db.session,
        actor=current_user,
        username=body["username"],
        display_name=body["display_name"],
        email=body.get("email"),
        roles=_roles(body["roles"]),
        workplace=_workplace(body),
        password=password,
        must_change=True,
    )
    response = jsonify({**user_json(account), "temporary_password": password})
    response.headers["Location"] = url_for(".admin_get_user", user_id=account.id)
    return response, 201


@bp.get("/admin/users/<int:user_id>")
def admin_get_user(user_id: int) -> ResponseReturnValue:
    """Return one account."""
    return jsonify(user_json(_user(user_id)))


@bp.patch("/admin/users/<int:user_id>")
def admin_update_user(user_id: int) -> ResponseReturnValue:
    """Change an account's person, workplace or roles (fields not sent are kept)."""
    account = _user(user_id)
    body = _top_level(
        _json_body(),
        {},
        {"display_name": str, "email": str, "roles": list, "workplace_id": int, "expected": str},
    )
    roles = (
        _roles(body["roles"])
        if "roles" in body
        else [(r.role, r.organisation) for r in account.roles]
    )
    ops_people.update_user(
        account,
        actor=current_user,
        display_name=body.get("display_name", account.display_name),
        email=body.get("email", account.email),
        roles=roles,
        workplace=_workplace(body) if "workplace_id" in body else account.workplace,
        expected=body.get("expected"),
    )
    return jsonify(user_json(account))


@bp.post("/admin/users/<int:user_id>/password")
def admin_user_password(user_id: int) -> ResponseReturnValue:
    """Hand over a new temporary password, or a one-time link to set one."""
    account = _user(user_id)
    body = _top_level(_json_body(), {"how": str})
    if body["how"] == "link":
        token = ops_people.password_link_token(account, actor=current_user)
        return jsonify({"link": url_for("auth.password_link", token=token, _external=True)})
    if body["how"] != "temporary":
        raise InvalidData("how", fields={"how": ["temporary or link"]})
    return jsonify(
        {"temporary_password": ops_people.issue_temporary_password(account, actor=current_user)}
    )


@bp.post("/admin/users/<int:user_id>/active")
def admin_set_user_active(user_id: int) -> ResponseReturnValue:
    """Deactivate or reactivate an account."""
    account = _user(user_id)
    body = _top_level(_json_body(), {"active": bool, "reason": str}, {"expected": str})
    ops_people.set_user_active(
        account,
        actor=current_user,
        active=body["active"],
        reason=body["reason"],
        expected=body.get("expected"),
    )
    return jsonify(user_json(account))


# --- campaigns -------------------------------------------------------------------------------

_SETTING_TYPES: dict[str, type] = {
    "name_en": str,
    "nomination_deadline": str,
    "notice_working_days": int,
    "resubmit_working_days": int,
    "unit_notice_working_days": int,
    "congress_vote_rule": str,
    "objection_contact": dict,
    "notice_order": str,
    "objection_resume": str,
    "objection_answer_working_days": int,
    "pool_percent": int,
    "leader_share_max": int,
    "require_prior_honour": bool,
    "composition": dict,
    "consultation_rules": list,
    "consultation_working_days": int,
    "selection_rule": str,
    "round_closer": str,
}


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidData("a date", fields={field: ["a date, YYYY-MM-DD"]}) from None


def _awards(value: Any) -> dict[str, tuple[str, str | None]]:
    if not isinstance(value, dict) or not all(
        k in engine.award_kinds() and isinstance(v, dict) and isinstance(v.get("title"), str)
        for k, v in value.items()
    ):
        raise InvalidData(
            "awards", fields={"awards": ['{"individual": {"title": ..., "title_en": ...}, ...}']}
        )
    return {k: (v["title"], v.get("title_en")) for k, v in value.items()}


def _settings(body: dict[str, Any]) -> dict[str, Any]:
    settings = {k: body[k] for k in _SETTING_TYPES if k in body}
    if "nomination_deadline" in settings:
        settings["nomination_deadline"] = _date(
            settings["nomination_deadline"], "nomination_deadline"
        )
    return settings


@bp.get("/admin/campaigns")
def admin_list_campaigns() -> ResponseReturnValue:
    """List the federation's campaigns, newest first."""
    root = _root()
    rows = db.session.scalars(
        select(Campaign)
        .where(Campaign.federation_id == root.id)
        .order_by(Campaign.year.desc(), Campaign.id.desc())
    ).all()
    return jsonify({"items": [campaign_json(c) for c in rows]})


@bp.post("/admin/campaigns")
def admin_create_campaign() -> ResponseReturnValue:
    """Create a draft campaign, or copy one (``copy_from``) into another year's draft."""
    root = _root()
    raw = _json_body()
    if "copy_from" in raw:
        body = _top_level(
            raw,
            {"copy_from": int, "year": int, "name": str, "nomination_deadline": str},
            {"name_en": str},
        )
        row = ops_campaigns.copy_campaign(
            _campaign(body["copy_from"]),
            actor=current_user,
            year=body["year"],
            name=body["name"],
            name_en=body.get("name_en"),
            nomination_deadline=_date(body["nomination_deadline"], "nomination_deadline"),
        )
    else:
        body = _top_level(
            raw,
            {"year": int, "name": str, "nomination_deadline": str, "awards": dict},
            {**_SETTING_TYPES},
        )
        settings = _settings(body)
        row = ops_campaigns.create_campaign(
            db.session,
            actor=current_user,
            year=body["year"],
            name=body["name"],
            federation=root,
            awards=_awards(body["awards"]),
            status="draft",
            **settings,
        )
    response = jsonify(campaign_json(row))
    response.headers["Location"] = url_for(".admin_get_campaign", campaign_id=row.id)
    return response, 201


@bp.get("/admin/campaigns/<int:campaign_id>")
def admin_get_campaign(campaign_id: int) -> ResponseReturnValue:
    """Return a campaign with its settings, awards, quotas and judges."""
    return jsonify(campaign_json(_campaign(campaign_id)))


@bp.patch("/admin/campaigns/<int:campaign_id>")
def admin_update_campaign(campaign_id: int) -> ResponseReturnValue:
    """Change a campaign's name, year, rules or awards (fields not sent are kept)."""
    row = _campaign(campaign_id)
    body = _top_level(
        _json_body(),
        {},
        {"year": int, "name": str, "awards": dict, "expected": str, **_SETTING_TYPES},
    )
    ops_campaigns.update_campaign(
        row,
        actor=current_user,
        expected=body.get("expected"),
        year=body.get("year"),
        name=body.get("name"),
        **_settings(body),
    )
    if "awards" in body:
        ops_campaigns.set_awards(row, actor=current_user, awards=_awards(body["awards"]))
    return jsonify(campaign_json(row))


@bp.post("/admin/campaigns/<int:campaign_id>/status")
def admin_move_campaign(campaign_id: int) -> ResponseReturnValue:
    """Open, close, reopen or archive a campaign."""
    row = _campaign(campaign_id)
    body = _top_level(_json_body(), {"action": str}, {"expected": str})
    if body["action"] not in ops_campaigns.MOVES:
        raise InvalidData("action", fields={"action": [f"one of {', '.join(ops_campaigns.MOVES)}"]})
    ops_campaigns.move_campaign(
        row, actor=current_user, action=body["action"], expected=body.get("expected")
    )
    return jsonify(campaign_json(row))


@bp.put("/admin/campaigns/<int:campaign_id>/quotas")
def admin_set_quotas(campaign_id: int) -> ResponseReturnValue:
    """Set places per organisation and award; one refusal saves none (fields name the item)."""
    row = _campaign(campaign_id)
    body = _top_level(_json_body(), {"quotas": list})
    problems: dict[str, list[str]] = {}
    for i, item in enumerate(body["quotas"]):
        if not (
            isinstance(item, dict)
            and isinstance(item.get("organisation_id"), int)
            and isinstance(item.get("kind"), str)
            and isinstance(item.get("places"), int)
        ):
            problems[f"quotas[{i}]"] = ['{"organisation_id", "kind", "places"}']
            continue
        with operation_errors(catch=(InvalidData,)) as outcome:
            ops_campaigns.set_quota(
                db.session,
                actor=current_user,
                campaign=row,
                committee=_org(item["organisation_id"], "organisation_id"),
                kind=item["kind"],
                places=item["places"],
            )
        if outcome.refused:
            problems[f"quotas[{i}]"] = outcome.messages
    if problems:
        # The request rolls back the quotas already set: all or nothing.
        raise InvalidData("some quotas were refused; none was saved", fields=problems)
    return jsonify(campaign_json(row))


@bp.put("/admin/campaigns/<int:campaign_id>/judges")
def admin_set_judges(campaign_id: int) -> ResponseReturnValue:
    """Name the selection committee and its chair."""
    row = _campaign(campaign_id)
    body = _top_level(_json_body(), {"members": list}, {"chair": int, "expected": str})
    members = []
    for value in body["members"]:
        account = db.session.get(User, value) if isinstance(value, int) else None
        if account is None:
            raise InvalidData("members", fields={"members": [f"no user {value!r}"]})
        members.append(account)
    chair = next((u for u in members if u.id == body.get("chair")), None)
    ops_campaigns.set_judges(
        row, actor=current_user, members=members, chair=chair, expected=body.get("expected")
    )
    return jsonify(campaign_json(row))


@bp.post("/admin/campaigns/<int:campaign_id>/bars")
def admin_bar_unit(campaign_id: int) -> ResponseReturnValue:
    """Bar a unit (or a committee's units) from nominating in the campaign's year."""
    row = _campaign(campaign_id)
    body = _top_level(_json_body(), {"organisation_id": int, "reason": str})
    bar = ops_campaigns.bar_unit(
        db.session,
        actor=current_user,
        unit=_org(body["organisation_id"], "organisation_id"),
        year=row.year,
        reason=body["reason"],
        campaign=row,
    )
    return jsonify(
        {
            "id": bar.id,
            "organisation_id": bar.organisation_id,
            "year": bar.year,
            "reason": bar.reason,
        }
    ), 201


@bp.post("/admin/campaigns/<int:campaign_id>/bars/<int:bar_id>/lift")
def admin_lift_bar(campaign_id: int, bar_id: int) -> ResponseReturnValue:
    """Lift a bar recorded in error or no longer justified, with the reason."""
    row = _campaign(campaign_id)
    bar = db.session.get(UnitBar, bar_id)
    if bar is None or bar.year != row.year:
        raise NotFound("no such bar")
    _org(bar.organisation_id)
    body = _top_level(_json_body(), {"reason": str})
    ops_campaigns.lift_bar(bar, actor=current_user, reason=body["reason"], campaign=row)
    return jsonify({"lifted": bar_id})


@bp.post("/admin/users/<int:user_id>/tokens/<int:token_id>/revoke")
def admin_revoke_token(user_id: int, token_id: int) -> ResponseReturnValue:
    """Revoke one API token of the user."""
    account = _user(user_id)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != account.id:
        raise NotFound("no such token")
    ops_people.revoke_token(token, actor=current_user)
    return jsonify({"revoked": token_id})


@bp.post("/admin/users/<int:user_id>/second-factor/remove")
def admin_remove_second_factor(user_id: int) -> ResponseReturnValue:
    """Remove a user's second factor (a lost device); the next login enrols again."""
    account = _user(user_id)
    ops_security.remove_second_factor(account, actor=current_user)
    return jsonify(user_json(account))


@bp.get("/admin/security")
def admin_get_security() -> ResponseReturnValue:
    """Return the roles that must log in with a second factor."""
    _root()
    return jsonify({"totp_roles": ops_security.totp_roles(db.session)})


@bp.put("/admin/security")
def admin_set_security() -> ResponseReturnValue:
    """Require a second factor of the holders of the roles given."""
    _root()
    body = _top_level(_json_body(), {"totp_roles": list})
    if not all(isinstance(r, str) for r in body["totp_roles"]):
        raise InvalidData("totp_roles", fields={"totp_roles": ["a list of role names"]})
    ops_security.set_totp_roles(db.session, actor=current_user, roles=body["totp_roles"])
    return jsonify({"totp_roles": ops_security.totp_roles(db.session)})


# --- the OpenAPI paths -----------------------------------------------------------------------

_ADMIN_ERRORS = ("Forbidden", "Invalid")
_ID = {"type": "integer"}
_TEXT = {"type": "string"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
#: What the server accepts in requests: a code and a user name as the checks' patterns, a
#: reason with something besides spaces, names no longer than their columns.
_CODE_IN = {"type": "string", "pattern": f"^{CODE.pattern}$"}
_USERNAME_IN = {"type": "string", "pattern": f"^{USERNAME.pattern}$"}
_REASON_IN = {"type": "string", "pattern": r"\S"}


def _name(most: int) -> dict[str, Any]:
    """Return the schema of a required name: some text besides spaces, at most ``most`` long."""
    return {"type": "string", "pattern": r"\S", "maxLength": most}


def _at_most(most: int, *, nullable: bool = False) -> dict[str, Any]:
    """Return the schema of optional text at most ``most`` characters long."""
    return {"type": ["string", "null"] if nullable else "string", "maxLength": most}


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": _ID}


ORGANISATION_SCHEMA = _object(
    {
        "id": _ID,
        "code": _TEXT,
        "name": _TEXT,
        "name_en": _NULLABLE_TEXT,
        "kind": {"type": "string", "enum": list(ORG_KINDS)},
        "parent_id": {"type": ["integer", "null"]},
        "uscc": _NULLABLE_TEXT,
        "contact_person": _NULLABLE_TEXT,
        "contact_phone": _NULLABLE_TEXT,
        "active": {"type": "boolean"},
        "version": {"type": "string", "description": "Send back as 'expected' with a change."},
    }
)
ROLE_SCHEMA = _object(
    {"role": {"type": "string", "enum": list(ROLES)}, "organisation_id": _ID},
    additionalProperties=False,
)
ADMIN_USER_SCHEMA = _object(
    {
        "id": _ID,
        "username": _TEXT,
        "display_name": _TEXT,
        "email": _NULLABLE_TEXT,
        "active": {"type": "boolean"},
        "must_change_password": {"type": "boolean"},
        "second_factor": {"type": "boolean"},
        "workplace_id": {"type": ["integer", "null"]},
        "roles": {"type": "array", "items": ROLE_SCHEMA},
        "version": _TEXT,
    }
)
_AWARDS_IN = {
    "type": "object",
    "propertyNames": openapi.AWARD_KIND,
    "additionalProperties": _object(
        {"title": _name(200), "title_en": _at_most(200, nullable=True)}, required=["title"]
    ),
}
_SETTINGS_SCHEMA = {
    "name_en": _at_most(200, nullable=True),
    "nomination_deadline": {"type": "string", "format": "date"},
    "notice_working_days": _ID,
    "resubmit_working_days": _ID,
    "unit_notice_working_days": _ID,
    "congress_vote_rule": {"type": "string", "enum": ["1/2", "2/3"]},
    "objection_contact": {"type": "object", "additionalProperties": {"type": "string"}},
    "notice_order": {"type": "string", "enum": ["unit", "stroke"]},
    "objection_resume": {"type": "string", "enum": ["extend", "restart"]},
    "objection_answer_working_days": _ID,
    "pool_percent": _ID,
    "leader_share_max": {"type": ["integer", "null"]},
    "require_prior_honour": {"type": "boolean"},
    "composition": {"type": "object"},
    "consultation_rules": {"type": "array"},
    "consultation_working_days": _ID,
    "selection_rule": {"type": "string", "enum": ["1/2", "2/3"]},
    "round_closer": {"type": "string", "enum": ["federation", "chair"]},
}
CAMPAIGN_ADMIN_SCHEMA = _object(
    {
        "id": _ID,
        "year": _ID,
        "name": _TEXT,
        "status": {"type": "string", "enum": ["draft", "open", "closed", "archived"]},
        **_SETTINGS_SCHEMA,
        "awards": {
            "type": "object",
            "additionalProperties": _object(
                {"title": _TEXT, "title_en": _NULLABLE_TEXT, "definition": _TEXT}
            ),
        },
        "quotas": {
            "type": "array",
            "items": _object({"organisation_id": _ID, "kind": _TEXT, "places": _ID}),
        },
        "judges": {
            "type": "array",
            "items": _object({"user_id": _ID, "chair": {"type": "boolean"}}),
        },
        "version": _TEXT,
    }
)


def _list(item: dict[str, Any], truncated: bool = True) -> dict[str, Any]:
    props: dict[str, Any] = {"items": {"type": "array", "items": item}}
    if truncated:
        props["truncated"] = {"type": "boolean"}
    return _object(props)


@openapi.extend
def _paths() -> dict[str, Any]:
    org_in = _object(
        {
            "code": _CODE_IN,
            "name": _name(200),
            "kind": {"type": "string", "enum": ["committee", "unit", "department"]},
            "parent_id": _ID,
            "name_en": _at_most(200),
            "uscc": _TEXT,
            "contact_person": _at_most(100),
            "contact_phone": _TEXT,
        },
        required=["code", "name", "kind", "parent_id"],
        additionalProperties=False,
    )
    org_patch = _object(
        {
            "name": _name(200),
            "name_en": _at_most(200),
            "uscc": _TEXT,
            "contact_person": _at_most(100),
            "contact_phone": _TEXT,
            "expected": _TEXT,
        },
        required=[],
        additionalProperties=False,
    )
    active_in = _object(
        {"active": {"type": "boolean"}, "reason": _REASON_IN, "expected": _TEXT},
        required=["active", "reason"],
        additionalProperties=False,
    )
    user_in = _object(
        {
            "username": _USERNAME_IN,
            "display_name": _name(100),
            "email": _at_most(200),
            "roles": {"type": "array", "items": ROLE_SCHEMA},
            "workplace_id": _ID,
        },
        required=["username", "display_name", "roles"],
        additionalProperties=False,
    )
    user_patch = _object(
        {
            "display_name": _name(100),
            "email": _at_most(200),
            "roles": {"type": "array", "items": ROLE_SCHEMA},
            "workplace_id": _ID,
            "expected": _TEXT,
        },
        required=[],
        additionalProperties=False,
    )
    campaign_in = {
        "oneOf": [
            _object(
                {"year": _ID, "name": _name(200), "awards": _AWARDS_IN, **_SETTINGS_SCHEMA},
                required=["year", "name", "nomination_deadline", "awards"],
                additionalProperties=False,
            ),
            _object(
                {
                    "copy_from": _ID,
                    "year": _ID,
                    "name": _name(200),
                    "name_en": _at_most(200),
                    "nomination_deadline": {"type": "string", "format": "date"},
                },
                required=["copy_from", "year", "name", "nomination_deadline"],
                additionalProperties=False,
            ),
        ]
    }
    campaign_patch = _object(
        {
            "year": _ID,
            "name": _name(200),
            "awards": _AWARDS_IN,
            "expected": _TEXT,
            **_SETTINGS_SCHEMA,
        },
        required=[],
        additionalProperties=False,
    )
    security = _object(
        {"totp_roles": {"type": "array", "items": {"type": "string", "enum": list(STRONG_ROLES)}}},
        additionalProperties=False,
    )
    one_org = _json(ORGANISATION_SCHEMA, "The organisation")
    one_user = _json(ADMIN_USER_SCHEMA, "The account")
    one_campaign = _json(CAMPAIGN_ADMIN_SCHEMA, "The campaign")
    return {
        "/admin/organisations": {
            "get": _op(
                "adminListOrganisations",
                "The organisation tree (administrators)",
                {"200": _json(_list(ORGANISATION_SCHEMA), "The organisations")},
                *_ADMIN_ERRORS,
                parameters=[
                    _query("kind", {"type": "string", "enum": list(ORG_KINDS)}, "Kind."),
                    _query("q", _TEXT, "Part of the name or code."),
                ],
            ),
            "post": _op(
                "adminCreateOrganisation",
                "Add a committee, unit or department",
                {"201": one_org},
                *_ADMIN_ERRORS,
                requestBody=_body(org_in),
            ),
        },
        "/admin/organisations/{org_id}": {
            "parameters": [_path_id("org_id")],
            "get": _op(
                "adminGetOrganisation",
                "One organisation",
                {"200": one_org},
                "Forbidden",
                "NotFound",
            ),
            "patch": _op(
                "adminUpdateOrganisation",
                "Rename it or change its details",
                {"200": one_org},
                *_ADMIN_ERRORS,
                "NotFound",
                "Conflict",
                requestBody=_body(org_patch),
            ),
        },
        "/admin/organisations/{org_id}/move": {
            "parameters": [_path_id("org_id")],
            "post": _op(
                "adminMoveOrganisation",
                "Move a unit to another committee; its open nominations follow",
                {
                    "200": _json(
                        {
                            "allOf": [
                                ORGANISATION_SCHEMA,
                                _object({"nominations_moved": {"type": "array", "items": _ID}}),
                            ]
                        },
                        "The unit, and the nominations that followed it",
                    )
                },
                *_ADMIN_ERRORS,
                "NotFound",
                "Conflict",
                requestBody=_body(
                    _object(
                        {"parent_id": _ID, "reason": _REASON_IN, "expected": _TEXT},
                        required=["parent_id", "reason"],
                        additionalProperties=False,
                    )
                ),
            ),
        },
        "/admin/organisations/{org_id}/active": {
            "parameters": [_path_id("org_id")],
            "post": _op(
                "adminSetOrganisationActive",
                "Deactivate or reactivate it",
                {"200": one_org},
                *_ADMIN_ERRORS,
                "NotFound",
                "Conflict",
                requestBody=_body(active_in),
            ),
        },
        "/admin/users": {
            "get": _op(
                "adminListUsers",
                "The accounts (administrators)",
                {"200": _json(_list(ADMIN_USER_SCHEMA), "The accounts")},
                *_ADMIN_ERRORS,
                parameters=[
                    _query("q", _TEXT, "Part of the user name or name."),
                    _query("role", {"type": "string", "enum": list(ROLES)}, "A role."),
                ],
            ),
            "post": _op(
                "adminCreateUser",
                "Create an account; the temporary password is in this answer only",
                {
                    "201": _json(
                        {"allOf": [ADMIN_USER_SCHEMA, _object({"temporary_password": _TEXT})]},
                        "The account and its password",
                    )
                },
                *_ADMIN_ERRORS,
                requestBody=_body(user_in),
            ),
        },
        "/admin/users/{user_id}": {
            "parameters": [_path_id("user_id")],
            "get": _op("adminGetUser", "One account", {"200": one_user}, "Forbidden", "NotFound"),
            "patch": _op(
                "adminUpdateUser",
                "Change its person, workplace or roles",
                {"200": one_user},
                *_ADMIN_ERRORS,
                "NotFound",
                "Conflict",
                requestBody=_body(user_patch),
            ),
        },
        "/admin/users/{user_id}/password": {
            "parameters": [_path_id("user_id")],
            "post": _op(
                "adminUserPassword",
                "A new temporary password, or a one-time link to set one",
                {
                    "200": _json(
                        {
                            "oneOf": [
                                _object({"temporary_password": _TEXT}),
                                _object({"link": _TEXT}),
                            ]
                        },
                        "The password or the link, shown this once",
                    )
                },
                *_ADMIN_ERRORS,
                "NotFound",
                "Conflict",
                requestBody=_body(
                    _object(
                        {"how": {"type": "string", "enum": ["temporary", "link"]}},
                        additionalProperties=False,
                    )
                ),
            ),
        },
        "/admin/users/{user_id}/active": {
            "parameters": [_path_id("user_id")],
            "post": _op(
                "adminSetUserActive",
                "Deactivate or reactivate an account",
                {"200": one_user},
                *_ADMIN_ERRORS,
                "NotFound",
                "Conflict",
                requestBody=_body(active_in),
            ),
        },
        "/admin/campaigns": {
            "get": _op(
                "adminListCampaigns",
                "The federation's campaigns with every setting",
                {"200": _json(_list(CAMPAIGN_ADMIN_SCHEMA, truncated=False), "The campaigns")},
                "Forbidden",
            ),
            "post": _op(
                "adminCreateCampaign",
                "Create a draft, or copy a campaign into one",
                {"201": one_campaign},
                *_ADMIN_ERRORS,
                "NotFound",
                requestBody=_body(campaign_in),
            ),
        },
        "/admin/campaigns/{campaign_id}": {
            "parameters": [_path_id("campaign_id")],
            "get": _op(
                "adminGetCampaign",
                "One campaign with its quotas and judges",
                {"200": one_campaign},
                "Forbidden",
                "NotFound",
            ),
            "patch": _op(
                "adminUpdateCampaign",
                "Change its name, year, rules or awards",
                {"200": one_campaign},
                *_ADMIN_ERRORS,
                "NotFound",
                "Conflict",
                requestBody=_body(campaign_patch),
            ),
        },
        "/admin/campaigns/{campaign_id}/status": {
            "parameters": [_path_id("campaign_id")],
            "post": _op(
                "adminMoveCampaign",
                "Open, close, reopen or archive it",
                {"200": one_campaign},
                *_ADMIN_ERRORS,
                "NotFound",
                "Conflict",
                requestBody=_body(
                    _object(
                        {
                            "action": {"type": "string", "enum": list(ops_campaigns.MOVES)},
                            "expected": _TEXT,
                        },
                        required=["action"],
                        additionalProperties=False,
                    )
                ),
            ),
        },
        "/admin/campaigns/{campaign_id}/quotas": {
            "parameters": [_path_id("campaign_id")],
            "put": _op(
                "adminSetQuotas",
                "Set places per organisation and award, all or none",
                {"200": one_campaign},
                *_ADMIN_ERRORS,
                "NotFound",
                requestBody=_body(
                    _object(
                        {
                            "quotas": {
                                "type": "array",
                                "items": _object(
                                    {
                                        "organisation_id": _ID,
                                        "kind": openapi.AWARD_KIND,
                                        "places": {"type": "integer", "minimum": 0},
                                    }
                                ),
                            }
                        },
                        additionalProperties=False,
                    )
                ),
            ),
        },
        "/admin/campaigns/{campaign_id}/judges": {
            "parameters": [_path_id("campaign_id")],
            "put": _op(
                "adminSetJudges",
                "Name the selection committee and its chair",
                {"200": one_campaign},
                *_ADMIN_ERRORS,
                "NotFound",
                "Conflict",
                requestBody=_body(
                    _object(
                        {
                            "members": {"type": "array", "items": _ID},
                            "chair": _ID,
                            "expected": _TEXT,
                        },
                        required=["members"],
                        additionalProperties=False,
                    )
                ),
            ),
        },
        "/admin/campaigns/{campaign_id}/bars/{bar_id}/lift": {
            "parameters": [_path_id("campaign_id"), _path_id("bar_id")],
            "post": _op(
                "adminLiftBar",
                "Lift a bar, with the reason",
                {"200": _json(_object({"lifted": _ID}), "The bar lifted")},
                *_ADMIN_ERRORS,
                "NotFound",
                requestBody=_body(_object({"reason": _REASON_IN}, additionalProperties=False)),
            ),
        },
        "/admin/users/{user_id}/tokens/{token_id}/revoke": {
            "parameters": [_path_id("user_id"), _path_id("token_id")],
            "post": _op(
                "adminRevokeToken",
                "Revoke one API token of the user",
                {"200": _json(_object({"revoked": _ID}), "The token revoked")},
                "Forbidden",
                "NotFound",
            ),
        },
        "/admin/users/{user_id}/second-factor/remove": {
            "parameters": [_path_id("user_id")],
            "post": _op(
                "adminRemoveSecondFactor",
                "Remove the user's second factor (a lost device); the next login enrols again",
                {"200": one_user},
                "Forbidden",
                "NotFound",
            ),
        },
        "/admin/security": {
            "get": _op(
                "adminGetSecurity",
                "The roles that must log in with a second factor",
                {"200": _json(security, "The roles")},
                "Forbidden",
            ),
            "put": _op(
                "adminSetSecurity",
                "Require a second factor of the holders of these roles",
                {"200": _json(security, "The roles")},
                *_ADMIN_ERRORS,
                requestBody=_body(security),
            ),
        },
        "/admin/campaigns/{campaign_id}/bars": {
            "parameters": [_path_id("campaign_id")],
            "post": _op(
                "adminBarUnit",
                "Bar a unit from nominating in the campaign's year",
                {
                    "201": _json(
                        _object({"id": _ID, "organisation_id": _ID, "year": _ID, "reason": _TEXT}),
                        "The bar",
                    )
                },
                *_ADMIN_ERRORS,
                "NotFound",
                requestBody=_body(
                    _object(
                        {"organisation_id": _ID, "reason": _REASON_IN}, additionalProperties=False
                    )
                ),
            ),
        },
    }
