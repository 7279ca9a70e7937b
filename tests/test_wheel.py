"""A wheel built from the repository works in a fresh virtual environment."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_wheel_carries_definitions_and_templates(tmp_path):
    built = run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path, ROOT, cwd=tmp_path
    )
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("nomination-*.whl"))

    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", venv, cwd=tmp_path).returncode == 0
    py = venv / "bin" / "python"
    site = run(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path)
    # Reuse the already-installed dependencies rather than downloading them again.
    deps = sysconfig.get_paths()["purelib"]
    (Path(site.stdout.strip()) / "deps.pth").write_text(deps + "\n", encoding="utf-8")
    installed = run(py, "-m", "pip", "install", "--no-deps", "-q", wheel, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr

    check = run(venv / "bin" / "nomination", "workflow", "check", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "_data/workflows/individual.toml" in check.stdout
    assert str(ROOT) not in check.stdout

    script = (
        "import nomination, tempfile\n"
        "from nomination import create_app\n"
        "from nomination.migrate import upgrade\n"
        "d = tempfile.mkdtemp()\n"
        "app = create_app({'INSTANCE_PATH': d, 'DATABASE_URL': f'sqlite:///{d}/t.db'})\n"
        "upgrade(app.extensions['nomination.engine'])\n"
        "r = app.test_client().get('/login')\n"
        "print(nomination.__file__, r.status_code, 'csrf_token' in r.get_data(as_text=True))\n"
    )
    page = run(py, "-c", script, cwd=tmp_path)
    assert page.returncode == 0, page.stderr
    where, status, has_form = page.stdout.split()
    assert where.startswith(str(venv))
    assert (status, has_form) == ("200", "True")
