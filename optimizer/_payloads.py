"""The one way in and out of the ``mgopt:*`` user attrs (:mod:`optimizer._keys`): :func:`read`, :func:`require`,
:func:`has`, :func:`write`, :func:`write_by_id` and :func:`user_attrs_of` take a typed payload class or value, never
a key.

Every payload class names its key (``KEY``) and converts at the storage boundary (``to_stored`` is the JSON value
stored, ``from_stored`` reads it back, including the shapes older versions stored). Holders are anything with
``user_attrs`` (and ``set_user_attr`` to write): an :class:`optuna.Trial`, :class:`optuna.trial.FrozenTrial` or
:class:`optuna.Study`. Only the payload modules touch ``user_attrs`` with ``mgopt:`` keys
(``tests/test_layout.py`` checks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, TypeVar

__all__ = ["StoredForm", "has", "read", "require", "user_attrs_of", "write", "write_by_id"]

P = TypeVar("P", covariant=True)
T = TypeVar("T")


class _Holder(Protocol):
    @property
    def user_attrs(self) -> Mapping[str, Any]: ...


class _Writable(Protocol):
    def set_user_attr(self, key: str, value: Any) -> None: ...


class _PayloadClass(Protocol[P]):
    """A payload class: its key and how a stored value reads back (None: absent, foreign or broken)."""

    KEY: str

    def from_stored(self, data: Any, /) -> P | None: ...


class _Payload(Protocol):
    """A payload value: where it is stored and what is stored."""

    def storage_key(self) -> str: ...

    def to_stored(self) -> Any: ...


class StoredForm:
    """Mixin of the payload classes: ``storage_key`` is the class's ``KEY``, and a class with ``to_dict`` /
    ``from_dict`` stores and reads through them."""

    KEY: ClassVar[str]

    def storage_key(self) -> str:
        """The user attr key this value is stored under."""
        return self.KEY

    def to_stored(self) -> Any:
        """The JSON value stored."""
        return self.to_dict()  # type: ignore[attr-defined]

    @classmethod
    def from_stored(cls: type[T], data: Any) -> T | None:
        """The value read back from ``data``; None when ``data`` is None (never stored)."""
        return None if data is None else cls.from_dict(data)  # type: ignore[attr-defined]


def read(holder: _Holder, cls: _PayloadClass[T]) -> T | None:
    """The ``cls`` payload stored on ``holder`` (a trial, frozen trial or study); None when absent, or when the
    stored value is foreign or broken in a way ``cls.from_stored`` reads as absent.

    Raises:
        ValueError: as ``cls.from_stored`` does for a stored value it cannot read (see each class).
    """
    data = holder.user_attrs.get(cls.KEY)
    return None if data is None else cls.from_stored(data)


def require(holder: _Holder, cls: _PayloadClass[T]) -> T:
    """The ``cls`` payload stored on ``holder``, which must have one.

    Raises:
        KeyError: none is stored, or the stored value reads as absent (foreign or broken).
        ValueError: as ``cls.from_stored`` does for a stored value it cannot read.
    """
    value = read(holder, cls)
    if value is None:
        raise KeyError(cls.KEY)
    return value


def has(holder: _Holder, cls: _PayloadClass[Any]) -> bool:
    """Whether ``holder`` has a ``cls`` payload stored (whatever its value)."""
    return cls.KEY in holder.user_attrs


def write(holder: _Writable, value: _Payload) -> None:
    """Store ``value`` on ``holder`` (a running trial or a study) under its key (a finished trial's user attrs
    cannot change: Optuna raises)."""
    holder.set_user_attr(value.storage_key(), value.to_stored())


def write_by_id(storage: Any, trial_id: int, value: _Payload) -> None:
    """Store ``value`` on the trial ``trial_id`` of an Optuna ``storage`` directly (a trial no worker holds as an
    :class:`optuna.Trial`, e.g. a stale one being failed)."""
    storage.set_trial_user_attr(trial_id, value.storage_key(), value.to_stored())


def user_attrs_of(*values: _Payload) -> dict[str, Any]:
    """The user attrs that store ``values``, for ``study.enqueue_trial(..., user_attrs=...)``."""
    return {value.storage_key(): value.to_stored() for value in values}
