"""Helpers for enums stored as short strings with translatable titles."""

from __future__ import annotations

import enum

from sqlalchemy import Enum as SAEnum


class TitledEnum(str, enum.Enum):
    """A str enum whose members carry a lazily translated title (set in ``TITLES``)."""

    @property
    def title(self) -> str:
        return str(_titles(type(self))[self])

    @classmethod
    def titles(cls) -> dict:
        raise NotImplementedError

    @classmethod
    def choices(cls) -> list[tuple[str, object]]:
        """(value, lazily translated title): safe to use in forms defined at import time."""
        titles = _titles(cls)
        return [(member.value, titles[member]) for member in cls]


_TITLES: dict[type, dict] = {}


def _titles(cls) -> dict:
    """An enum's lazy titles, made once (each is translated when shown)."""
    titles = _TITLES.get(cls)
    if titles is None:
        titles = _TITLES[cls] = cls.titles()
    return titles


def enum_column(enum_cls: type[enum.Enum], length: int = 32) -> SAEnum:
    """A portable VARCHAR column holding the enum's values."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )
