"""How a module declares one private name of a dependency that it reads, writes or replaces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["method", "attribute"]


@dataclass(frozen=True)
class PrivateName:
    """``owner.name`` is relied on.

    - ``method``: a callable on the class (or module) ``owner``;
    - ``attribute``: an instance attribute (checked on a constructed ``owner`` where
      check.py knows how to build one, else in the source of ``owner``), or a module's.
    """

    owner: Any  # a class, a module, or (pylibsrtp.lib) a cffi library
    name: str
    kind: Kind

    @property
    def label(self) -> str:
        return getattr(self.owner, "__name__", repr(self.owner))
