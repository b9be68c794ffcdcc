"""A small generic registry by versioned id, shared by students, tasks, policies and engines.

A registry fills itself on first use (``make``, ``ids``, ``in``): it imports its built-in
modules, whose ``@REGISTRY.register`` decorators add them, then the plug-ins that installed
packages declare in its entry-point group (``curriculab.tasks``, ...), so a user's package
works on every surface with no flag. Naming the built-ins as module names, imported late,
keeps ``import students`` cheap and keeps a registry's module free of imports back from the
modules that register into it: no import circles.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any, Generic, TypeVar

from students.errors import RegistryError

T = TypeVar("T")


def origin(factory: Any) -> str:
    """Where a factory was defined, ``module.qualname``: registering an id again from the same
    place (a notebook cell run twice, a module reloaded) replaces it instead of failing."""
    qualname = getattr(factory, "__qualname__", type(factory).__qualname__)
    return f"{getattr(factory, '__module__', None) or '?'}.{qualname}"


def one_line(error: BaseException) -> str:
    """An exception as ``Type: first line``, for messages that must stay one line."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


class Registry(Generic[T]):
    """Maps ids such as ``"tiny-gpt"`` or ``"arith-v0"`` to factories."""

    def __init__(self, kind: str, *, builtins: tuple[str, ...] = (), group: str | None = None
                 ) -> None:
        self.kind = kind
        self.builtins = builtins  # modules that register the built-in ids when imported
        self.group = group  # the entry-point group of plug-ins, e.g. "curriculab.tasks"
        self._factories: dict[str, Callable[..., T]] = {}
        self._loaded = False
        self._loading = False
        self._lock = threading.RLock()

    def register(self, id: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator: ``@REGISTRY.register("name-v0")`` on a class or factory function."""

        def decorate(factory: Callable[..., T]) -> Callable[..., T]:
            old = self._factories.get(id)
            if old is not None and origin(old) != origin(factory):
                raise RegistryError(f"{self.kind} id {id!r} is registered twice: by "
                                    f"{origin(old)} and by {origin(factory)}")
            self._factories[id] = factory
            return factory

        return decorate

    def make(self, id: str, /, **kwargs) -> T:
        """Build the registered object; an unknown id lists the known ones."""
        self.load()
        try:
            factory = self._factories[id]
        except KeyError:
            known = ", ".join(sorted(self._factories)) or "none"
            raise RegistryError(f"unknown {self.kind} {id!r} (known: {known})") from None
        return factory(**kwargs)

    def ids(self) -> list[str]:
        self.load()
        return sorted(self._factories)

    def __contains__(self, id: object) -> bool:
        self.load()
        return id in self._factories

    def load(self) -> None:
        """Import the built-ins, then the entry-point plug-ins: once, on first use. A broken
        plug-in is a RegistryError every time it is asked for, never a half-filled registry."""
        if self._loaded:
            return
        with self._lock:  # another thread waits; the loading thread itself goes on
            if self._loaded or self._loading:
                return
            self._loading = True
            try:
                for name in self.builtins:
                    importlib.import_module(name)
                for point in self._entry_points():
                    self._load_entry_point(point)
                self._loaded = True
            finally:
                self._loading = False

    def _entry_points(self) -> list[EntryPoint]:
        if self.group is None:
            return []
        return sorted(entry_points(group=self.group), key=lambda p: (p.name, p.value))

    def _load_entry_point(self, point: EntryPoint) -> None:
        """Importing the module registers its ids; an entry point naming a factory that no
        decorator registered registers it under the entry point's name."""
        try:
            loaded = point.load()
        except Exception as e:
            raise RegistryError(f"{self.kind} plug-in {point.name!r} ({point.value}, entry point "
                                f"in {self.group}) failed to load: {one_line(e)}") from e
        if isinstance(loaded, ModuleType) or not callable(loaded):
            return
        if all(factory is not loaded for factory in self._factories.values()):
            self.register(point.name)(loaded)
