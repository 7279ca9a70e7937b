"""Workflow and form definitions: the shipped ones load; broken ones fail naming file and entry."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nomination.definitions.forms import DefinitionError
from nomination.engine.definitions import load_all

REQUIRED_STATES = {
    "draft",
    "committee_review",
    "returned",
    "federation_review",
    "consultation",
    "selection",
    "public_notice",
    "objection_review",
    "unit_verification",
    "reserve",
    "substituted",
    "final_approval",
    "approved",
    "rejected",
    "withdrawn",
    "lapsed",
}

MINIMAL = """
name = "mini"
form = "comment"
initial = "draft"

[states.draft]
label = {{ zh = "草稿", en = "Draft" }}

[states.done]
label = {{ zh = "完成", en = "Done" }}
terminal = true
{extra_states}

[[transitions]]
trigger = "finish"
source = ["draft"]
dest = "done"
label = {{ zh = "完成", en = "Finish" }}
roles = ["{role}"]
guards = [{guards}]
{extra_transitions}
"""


def write(tmp_path: Path, **parts: str) -> Path:
    values = {"extra_states": "", "extra_transitions": "", "role": "unit_submitter", "guards": ""}
    values.update(parts)
    (tmp_path / "mini.toml").write_text(MINIMAL.format(**values), encoding="utf-8")
    return tmp_path


def test_shipped_definitions_load_with_the_required_states():
    shipped = load_all()
    # The award kinds, and the archive's own cases, which the same engine runs.
    assert set(shipped) == {"individual", "unit", "team", "revocation", "verification"}
    assert shipped["revocation"].initial == "proposed"
    workflows = {n: w for n, w in shipped.items() if n in ("individual", "unit", "team")}
    for wf in workflows.values():
        assert set(wf.states) == REQUIRED_STATES
        assert wf.machine.get_state("draft").name == "draft"
    # Each kind has its own form, so its own version.
    assert len({wf.hash for wf in workflows.values()}) == 3


@pytest.mark.parametrize("name", ["individual", "unit", "team", "revocation", "verification"])
def test_each_transition_asks_in_its_own_words(name):
    """Withdrawing, rejecting, not approving and upholding an objection are not a return."""
    wf = load_all()[name]
    labels: dict[str, set[str]] = {}
    for t in wf.transitions:
        if t.form and (field := wf.forms[t.form].field("reason")) is not None:
            labels.setdefault(field.label["zh"], set()).add(t.label["zh"])
    for zh, used_by in labels.items():
        # "What must change" is asked only when the nomination goes back to be changed.
        if "需修改" in zh:
            assert all("退回" in label for label in used_by), (zh, used_by)
    if name == "individual":
        asked = {
            t.label["zh"]: wf.forms[t.form].field("reason").label["zh"]
            for t in wf.transitions
            if t.form and wf.forms[t.form].field("reason")
        }
        ends = ["撤回推荐", "不予推荐", "不予批准", "异议成立,取消资格", "退回单位修改"]
        assert len({asked[label] for label in ends}) == len(ends), asked


def test_minimal_definition_loads(tmp_path):
    assert "mini" in load_all(write(tmp_path))


@pytest.mark.parametrize(
    ("parts", "entry", "problem"),
    [
        ({"role": "janitor"}, "transitions[0] (finish)", "unknown role 'janitor'"),
        ({"guards": '"weather_is_fine"'}, "transitions[0] (finish)", "unknown guard"),
        (
            {"extra_states": '[states.limbo]\nlabel = { zh = "悬", en = "Limbo" }\n'},
            "states.limbo",
            "dead end",
        ),
        (
            {
                "extra_states": '[states.island]\nlabel = { zh = "岛", en = "Island" }\n'
                "terminal = true\n"
            },
            "states.island",
            "unreachable",
        ),
        (
            {
                "extra_transitions": '[[transitions]]\ntrigger = "jump"\nsource = ["draft"]\n'
                'dest = "nowhere"\nlabel = { zh = "跳", en = "Jump" }\nroles = ["admin"]\n'
            },
            "transitions[1] (jump)",
            "unknown state 'nowhere'",
        ),
        (
            {
                "extra_transitions": '[[transitions]]\ntrigger = "ask"\nsource = ["draft"]\n'
                'dest = "done"\nlabel = { zh = "问", en = "Ask" }\nroles = ["admin"]\n'
                'form = "no_such_form"\n'
            },
            "form 'no_such_form'",
            "no such form definition",
        ),
    ],
)
def test_broken_definitions_name_file_and_entry(tmp_path, parts, entry, problem):
    folder = write(tmp_path, **parts)
    with pytest.raises(DefinitionError) as err:
        load_all(folder)
    message = str(err.value)
    assert str(folder / "mini.toml") in message
    assert entry in message
    assert problem in message


def test_timer_must_have_a_system_transition(tmp_path):
    folder = write(tmp_path)
    text = (folder / "mini.toml").read_text(encoding="utf-8")
    text = text.replace(
        '[states.draft]\nlabel = { zh = "草稿", en = "Draft" }',
        '[states.draft]\nlabel = { zh = "草稿", en = "Draft" }\n'
        'timer = { trigger = "finish", working_days = 3 }',
    )
    (folder / "mini.toml").write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"states\.draft\.timer"):
        load_all(folder)


def test_bad_form_field_type_is_named(tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "comment.toml").write_text(
        'name = "comment"\n[[fields]]\nname = "comment"\ntype = "paragraph"\n'
        'label = { zh = "意见", en = "Opinion" }\n',
        encoding="utf-8",
    )
    folder = write(tmp_path / "wf" if (tmp_path / "wf").mkdir() is None else tmp_path)
    with pytest.raises(DefinitionError) as err:
        load_all(folder, forms)
    assert "fields[0] (comment)" in str(err.value)
    assert "unknown type 'paragraph'" in str(err.value)


def test_cli_workflow_check_and_graph(tmp_path):
    exe = Path(sys.executable).with_name("nomination")
    ok = subprocess.run([exe, "workflow", "check"], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "individual" in ok.stdout
    out = tmp_path / "individual.svg"
    graph = subprocess.run(
        [exe, "workflow", "graph", "individual", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert graph.returncode == 0, graph.stderr
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg
    assert "public_notice" in svg


def test_an_unknown_key_is_a_mistake(tmp_path):
    folder = write(
        tmp_path,
        extra_states='[states.later]\nlabel = { zh = "后", en = "Later" }\n'
        "terminal = true\nterminl = true",
    )
    with pytest.raises(DefinitionError, match=r"states\.later: unknown key 'terminl'"):
        load_all(folder)


def test_a_person_kind_needs_the_id_number_its_archive_record_is_kept_by(tmp_path):
    folder = write(tmp_path)
    text = (folder / "mini.toml").read_text(encoding="utf-8")
    (folder / "mini.toml").write_text('holder = "person"\n' + text, encoding="utf-8")
    # The comment form has no ID number: a person's honour could not enter the archive.
    with pytest.raises(DefinitionError, match="needs the required field 'id_number'"):
        load_all(folder)


def test_a_broken_deployment_definition_is_said_without_a_traceback(tmp_path):
    workflows = tmp_path / "definitions" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "craftsman.toml").write_text(
        'extends = "individual"\nname = "craftsman"\nholder = "person"\nhonour_type = "trophy"\n',
        encoding="utf-8",
    )
    exe = Path(sys.executable).with_name("nomination")
    env = {**os.environ, "NOMINATION_INSTANCE_PATH": str(tmp_path)}
    run = subprocess.run(
        [exe, "workflow", "check"], capture_output=True, text=True, check=False, env=env
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "craftsman.toml: honour_type: must be one of" in run.stderr
