"""Where the definitions and templates live, in a source checkout and in an installed wheel.

A deployment may add folders of its own definitions (``DEFINITIONS_PATH``): their ``workflows/``
and ``forms/`` are searched before the packaged ones, so that a file there adds an award kind or
replaces the packaged file of the same name.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the folder ``name`` (workflows, forms, templates) beside the package or inside it."""
    beside = _PACKAGE.parent / name
    if beside.is_dir():
        return beside
    return _PACKAGE / "_data" / name


#: Folders of the deployment's own definitions, searched before the packaged ones.
_EXTRA: list[Path] = []


def use_definition_folders(folders: list[Path]) -> None:
    """Search ``folders`` (each holding ``workflows/`` and ``forms/``) before the packaged ones."""
    _EXTRA[:] = [Path(f) for f in folders]


def definition_folders(name: str) -> list[Path]:
    """Return the folders of definitions ``name`` (workflows, forms), the deployment's first."""
    return [f / name for f in _EXTRA if (f / name).is_dir()] + [data_dir(name)]
