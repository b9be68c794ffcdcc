"""A small generic registry by versioned id, shared by students, tasks, policies and engines."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from students.errors import RegistryError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps ids such as ``"tiny-gpt"`` or ``"arith-v0"`` to factories."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, id: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator: ``@REGISTRY.register("name-v0")`` on a class or factory function."""

        def decorate(factory: Callable[..., T]) -> Callable[..., T]:
            if id in self._factories:
                raise RegistryError(f"{self.kind} id {id!r} is registered twice")
            self._factories[id] = factory
            return factory

        return decorate

    def make(self, id: str, **kwargs) -> T:
        """Build the registered object; an unknown id lists the known ones."""
        try:
            factory = self._factories[id]
        except KeyError:
            known = ", ".join(sorted(self._factories)) or "none"
            raise RegistryError(f"unknown {self.kind} {id!r} (known: {known})") from None
        return factory(**kwargs)

    def ids(self) -> list[str]:
        return sorted(self._factories)

    def __contains__(self, id: object) -> bool:
        return id in self._factories
