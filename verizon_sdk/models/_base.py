"""The `Model` base of every wire model, and the metaclass that reads its declarations.

A model is a class body of field declarations (see `_fields`); everything else lives here::

    class V3LicenseDevice(Model):
        device_id: str | None = scalar("deviceId", default=None)
        assignment_time: TimeField = TimeField("assignmentTime")
        assignment_time_raw = assignment_time.raw

`ModelMeta` turns the declarations into ``__slots__`` and a field table (python name, wire
name, kind), and installs the generated parser (`_codegen`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

from verizon_sdk.models._codegen import compile_on_first_use
from verizon_sdk.models._fields import (
    Field,
    TimeField,
    WireObject,
    _AdditionalProperties,
    _type_name,
    nested,
    nested_list,
    scalar,
    str_list,
)

if TYPE_CHECKING:
    from typing_extensions import Self, dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[type], type]:
        return lambda cls: cls


__all__ = ["Model", "ModelMeta"]


def _did_you_mean(cls: type[Model], key: str) -> str:
    """A hint for a mistyped keyword: the Python name of a wire name, or a close match."""
    for field in cls._fields:
        if key in field.wires:
            return f" (the wire field {key!r} is {field.name!r} in Python)"
    close = difflib.get_close_matches(key, sorted(cls._init_names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass_transform(kw_only_default=True, field_specifiers=(scalar, str_list, nested, nested_list))
class ModelMeta(type):
    """Builds ``__slots__`` and the field tables from a model's declarations."""

    _fields: tuple[Field, ...]
    _data_slots: tuple[str, ...]
    _wire_names: frozenset[str]
    _init_names: frozenset[str]
    #: Fields with a second wire spelling (`to_dictionary` writes back the one received).
    _respelled: tuple[Field, ...]
    #: Builds an instance from a wire dict (shape already checked); generated per model.
    _from_wire: Callable[[dict[str, Any]], Any]

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> ModelMeta:
        fields: list[Field] = [f for base in bases for f in getattr(base, "_fields", ())]
        slots = list(namespace.get("__slots__", ()))
        data_slots = [s for base in bases for s in getattr(base, "_data_slots", ())]
        for attr, value in list(namespace.items()):
            if isinstance(value, Field):
                bound = value._bind(attr)
                slots.extend(bound)
                data_slots.extend(bound)
                if not isinstance(value, TimeField):  # a slot replaces the declaration
                    del namespace[attr]
                fields.append(value)
        namespace["__slots__"] = tuple(slots)
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)

        wires = [wire for f in fields for wire in f.wires]
        if len(set(wires)) != len(wires):
            raise TypeError(f"{name}: a wire name is declared twice: {wires}")
        cls._fields = tuple(fields)
        cls._data_slots = tuple(data_slots)
        cls._wire_names = frozenset(wires)
        cls._init_names = frozenset(["additional_properties", *(f.name for f in fields)])
        cls._respelled = tuple(f for f in fields if len(f.wires) > 1)
        cls._from_wire = staticmethod(compile_on_first_use(cls))
        return cls


class Model(WireObject, metaclass=ModelMeta):
    """Base of every wire model: keyword construction, dict conversion, repr and equality."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # mutable

    additional_properties: _AdditionalProperties = _AdditionalProperties()

    def __init__(self, **kwargs: Any) -> None:
        cls = type(self)
        self._extra: dict[str, Any] | None = None
        for slot in cls._data_slots:
            setattr(self, slot, None)
        for key, value in kwargs.items():
            if key not in cls._init_names:
                raise TypeError(
                    f"{cls.__name__}() got an unexpected keyword argument {key!r}"
                    + _did_you_mean(cls, key)
                )
            setattr(self, key, value)

    @overload
    @classmethod
    def from_dictionary(cls, data: None) -> None: ...
    @overload
    @classmethod
    def from_dictionary(cls, data: dict[str, Any]) -> Self: ...
    @overload
    @classmethod
    def from_dictionary(cls, data: object) -> Self | None: ...
    @classmethod
    def from_dictionary(cls, data: object) -> Self | None:
        """Parse a decoded JSON object; raises TypeError (naming the field) on a wrong shape."""
        if data is None:
            return None
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__}: expected an object, got {_type_name(data)}")
        obj: Self = cls._from_wire(data)
        return obj

    def to_dictionary(self) -> dict[str, Any]:
        """The wire form: None fields left out, unknown fields merged back in."""
        cls = type(self)
        out: dict[str, Any] = {}
        for field in cls._fields:
            value = field.dump(self)
            if value is not None:
                out[field.wire] = value
        for field in cls._respelled:  # rare (two V3 totals): rename in place, order kept
            wire = field.wire_for(self)
            if wire != field.wire and field.wire in out:
                out = {(wire if key == field.wire else key): v for key, v in out.items()}
        if self._extra:
            for key, value in self._extra.items():
                out.setdefault(key, value)
        return out

    def __repr__(self) -> str:
        items = [item for f in type(self)._fields if (item := f.repr_item(self)) is not None]
        if self._extra:
            items.append(f"additional_properties={self._extra!r}")
        return f"{type(self).__name__}({', '.join(items)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model) or type(other) is not type(self):
            return NotImplemented
        return all(f.compared(self) == f.compared(other) for f in type(self)._fields) and (
            (self._extra or {}) == (other._extra or {})
        )
