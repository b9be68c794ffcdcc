"""A user's plug-ins named by ``--plugin`` or a config's ``plugins``: modules that register
tasks, students, policies or engines when imported.

A name is a dotted module name or a path to a ``.py`` file. Modules are looked for in the
current directory too, since the ``curriculab`` console script does not put it on
``sys.path`` as ``python -m`` would. A file is recorded by its absolute path, so a run
resumed from another directory finds it again; a module must be importable wherever the run
is resumed. Installed packages need none of this: the registries load their entry points.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from students.errors import ConfigError, CurriculabError
from students.registry import one_line


def load_plugins(names: Iterable[str]) -> tuple[str, ...]:
    """Import each plug-in (once per process); returns the names as a run records them,
    each file as an absolute path. A failure is a ConfigError naming the plug-in."""
    return tuple(load_plugin(name) for name in names)


def load_plugin(name: str) -> str:
    """Import one plug-in; returns its recorded name."""
    if name.endswith(".py") or "/" in name or os.sep in name:
        return _load_file(Path(name).expanduser().resolve())
    _load_module(name)
    return name


def _load_module(name: str) -> None:
    here = os.getcwd()
    if here not in sys.path and "" not in sys.path:
        sys.path.insert(0, here)
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name is None or not (name == e.name or name.startswith(e.name + ".")):
            raise _failure(repr(name), e) from e  # a module the plug-in imports is missing
        raise ConfigError(f"plug-in {name!r}: no module {e.name!r} in the current directory "
                          "or the installed packages") from None
    except Exception as e:
        raise _failure(repr(name), e) from e


def _load_file(path: Path) -> str:
    """Import a ``.py`` file as the module named by its stem, so that ``--plugin lists.py``
    and ``--plugin lists`` register from the same place."""
    if not path.is_file():
        raise ConfigError(f"plug-in {str(path)!r}: no such file")
    if path.suffix != ".py":
        raise ConfigError(f"plug-in {str(path)!r} is not a .py file")
    name = path.stem
    loaded = sys.modules.get(name)
    if loaded is not None:
        if Path(getattr(loaded, "__file__", None) or "").resolve() == path:
            return str(path)
        raise ConfigError(f"plug-in {str(path)!r}: a module named {name!r} is already imported "
                          "from elsewhere; rename the file")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as an import does: dataclasses and pickle look modules up
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        del sys.modules[name]
        raise _failure(repr(str(path)), e) from e
    return str(path)


def _failure(label: str, error: Exception) -> ConfigError:
    """One line: a Curriculab error (an id registered twice) as it is, anything else with
    its type."""
    if isinstance(error, CurriculabError):
        return ConfigError(f"plug-in {label}: {one_line(error).split(': ', 1)[-1]}")
    return ConfigError(f"plug-in {label} failed to import: {one_line(error)}")
