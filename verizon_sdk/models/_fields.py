"""The field descriptors of the wire models: one row of a model's field table each.

The field kinds are `scalar`, `str_list`, `nested`, `nested_list` and `TimeField`.
``default=None`` is spelled out because type checkers (PEP 681) only treat a field as optional
when the call names its default; every field defaults to None.

Parsing is by presence, never truthiness, and never coerces: a scalar is stored exactly as it
came off the wire. Only the shape is checked (an object where an object belongs, a list where a
list belongs), and a wrong shape raises TypeError naming the model and the wire field. Each field
writes its own part of the generated parser (`emit`, see `_codegen`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, ClassVar, NoReturn, overload

from verizon_sdk._timeparse import format_wire_datetime, parse_wire_datetime
from verizon_sdk.models._codegen import Code, emit_model

__all__ = [
    "Field",
    "TimeField",
    "WireObject",
    "nested",
    "nested_list",
    "scalar",
    "str_list",
]


class _Unparsed(enum.Enum):
    """Marks a time field whose raw wire value has not been parsed yet (an enum so it pickles)."""

    TOKEN = enum.auto()


_UNPARSED = _Unparsed.TOKEN


class WireObject:
    """What a field relies on of a model instance; `Model` (in `_base`) is the only subclass."""

    __slots__ = ("_extra",)
    _extra: dict[str, Any] | None
    #: Builds an instance from a wire dict (shape already checked); generated per model.
    _from_wire: ClassVar[Callable[[dict[str, Any]], Any]]
    to_dictionary: Callable[[], dict[str, Any]]


Loader = Callable[[type[WireObject], Any], Any]


#: List items a model's repr shows; a page of 1,000 devices stays readable.
REPR_ITEMS = 3


def _type_name(value: object) -> str:
    return type(value).__name__


def _shape_error(owner: type[WireObject], where: str, expected: str, value: object) -> TypeError:
    return TypeError(f"{owner.__name__}.{where}: expected {expected}, got {_type_name(value)}")


def _item_shape_error(owner: type[WireObject], wire: str, index: int, value: object) -> TypeError:
    return _shape_error(owner, f"{wire}[{index}]", "an object", value)


class Field:
    """One row of a model's field table."""

    kind: ClassVar[str]
    name: str
    slot: str

    def __init__(self, wire: str) -> None:
        self.wire = wire

    @property
    def wires(self) -> tuple[str, ...]:
        """Every wire name this field reads (the first is the one a new model writes)."""
        return (self.wire,)

    def _bind(self, name: str) -> tuple[str, ...]:
        """Learn the attribute name; return the instance slots this field needs."""
        self.name = self.slot = name
        return (name,)

    def emit_after_extra(self, code: Code, obj: str, data: str) -> None:
        """Lines run after ``obj._extra`` is set; the base writes none."""

    def wire_for(self, obj: WireObject) -> str:
        """The wire name `to_dictionary` writes this field under."""
        return self.wire

    def emit(self, code: Code, owner: type[WireObject], obj: str, get: str) -> None:
        """Write the lines of ``owner._from_wire`` that read this field into ``obj``.

        ``get`` is the expression of the wire dict's ``get``. The base stores the value as is.
        """
        code.line(f"{obj}.{self.slot} = {get}({self.wire!r})")

    def _emit_loaded(
        self, code: Code, owner: type[WireObject], obj: str, get: str, load: Loader
    ) -> None:
        """Lines that store ``load(owner, value)`` for a present, non-None value."""
        value = code.local("value")
        code.line(f"{value} = {get}({self.wire!r})")
        code.line(f"if {value} is not None:")
        code.line(f"    {value} = {code.constant(load)}({code.constant(owner)}, {value})")
        code.line(f"{obj}.{self.slot} = {value}")

    def dump(self, obj: WireObject) -> Any:
        return getattr(obj, self.slot)

    def compared(self, obj: WireObject) -> Any:
        return getattr(obj, self.slot)

    def repr_item(self, obj: WireObject) -> str | None:
        value = getattr(obj, self.slot)
        if value is None:
            return None
        if isinstance(value, list) and len(value) > REPR_ITEMS:
            shown = ", ".join(repr(v) for v in value[:REPR_ITEMS])
            return f"{self.name}=[{shown}, ... {len(value) - REPR_ITEMS} more]"
        return f"{self.name}={value!r}"


class _Scalar(Field):
    kind = "scalar"


_ABSENT = object()


class _SpelledScalar(_Scalar):
    """A scalar the service may spell two ways (Verizon's pages and the published SDK differ).

    The attribute is filled from whichever spelling arrives. When both arrive, ``wire`` (the
    seed's spelling) fills the attribute and the other value is kept in
    ``additional_properties``, so neither is lost. `to_dictionary` writes the value back under
    the spelling received; a model built in code (or parsed from neither) writes ``wire``.
    """

    def __init__(self, wire: str, other: str) -> None:
        super().__init__(wire)
        self.other = other

    @property
    def wires(self) -> tuple[str, ...]:
        return (self.wire, self.other)

    def _bind(self, name: str) -> tuple[str, ...]:
        self.name = self.slot = name
        self.spelling_slot = f"_{name}_spelling"
        return (name, self.spelling_slot)

    def emit(self, code: Code, owner: type[WireObject], obj: str, get: str) -> None:
        value, absent = code.local("value"), code.constant(_ABSENT)
        code.line(f"{obj}.{self.spelling_slot} = None")
        code.line(f"{value} = {get}({self.wire!r}, {absent})")
        code.line(f"if {value} is {absent}:")
        with code.indented():
            code.line(f"{value} = {get}({self.other!r}, {absent})")
            code.line(f"if {value} is {absent}:")
            code.line(f"    {value} = None")
            code.line("else:")
            code.line(f"    {obj}.{self.spelling_slot} = {self.other!r}")
        code.line(f"{obj}.{self.slot} = {value}")

    def emit_after_extra(self, code: Code, obj: str, data: str) -> None:
        # Both spellings arrived (the seed's won): keep the other one as an unknown field.
        code.line(f"if {obj}.{self.spelling_slot} is None and {self.other!r} in {data}:")
        with code.indented():
            code.line(f"if {obj}._extra is None:")
            code.line(f"    {obj}._extra = {{}}")
            code.line(f"{obj}._extra[{self.other!r}] = {data}[{self.other!r}]")

    def wire_for(self, obj: WireObject) -> str:
        spelling: str | None = getattr(obj, self.spelling_slot)
        return spelling or self.wire


class _StrList(Field):
    kind = "list-of-str"

    def emit(self, code: Code, owner: type[WireObject], obj: str, get: str) -> None:
        self._emit_loaded(code, owner, obj, get, self.load)

    def load(self, owner: type[WireObject], value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise _shape_error(owner, self.wire, "a list", value)
        return list(value)

    def dump(self, obj: WireObject) -> Any:
        value = getattr(obj, self.slot)
        return list(value) if isinstance(value, (list, tuple)) else value


class _Nested(Field):
    kind = "model"

    def __init__(self, wire: str, model: type[WireObject]) -> None:
        super().__init__(wire)
        self.model = model

    def emit(self, code: Code, owner: type[WireObject], obj: str, get: str) -> None:
        self._emit_loaded(code, owner, obj, get, self.load)

    def load(self, owner: type[WireObject], value: Any) -> Any:
        if not isinstance(value, dict):
            raise _shape_error(owner, self.wire, "an object", value)
        return self.model._from_wire(value)

    def dump(self, obj: WireObject) -> Any:
        return _dump_item(getattr(obj, self.slot))


class _NestedList(Field):
    kind = "list-of-model"

    def __init__(self, wire: str, model: type[WireObject]) -> None:
        super().__init__(wire)
        self.model = model

    def emit(self, code: Code, owner: type[WireObject], obj: str, get: str) -> None:
        # The items are built inline in the loop (`_emit_model`), without a call per item.
        value, items, item, append = (code.local(n) for n in ("value", "items", "item", "append"))
        item_obj = code.local("obj")
        owner_ref = code.constant(owner)
        code.line(f"{value} = {get}({self.wire!r})")
        code.line(f"if {value} is not None:")
        with code.indented():
            code.line(f"if not isinstance({value}, list):")
            code.line(
                f"    raise {code.constant(_shape_error)}"
                f"({owner_ref}, {self.wire!r}, 'a list', {value})"
            )
            code.line(f"{items} = []")
            code.line(f"{append} = {items}.append")
            code.line(f"for {item} in {value}:")
            with code.indented():
                code.line(f"if not isinstance({item}, dict):")
                code.line(
                    f"    raise {code.constant(_item_shape_error)}"
                    f"({owner_ref}, {self.wire!r}, len({items}), {item})"
                )
                emit_model(code, self.model, item, item_obj)
                code.line(f"{append}({item_obj})")
            code.line(f"{value} = {items}")
        code.line(f"{obj}.{self.slot} = {value}")

    def dump(self, obj: WireObject) -> Any:
        value = getattr(obj, self.slot)
        if isinstance(value, (list, tuple)):
            return [_dump_item(item) for item in value]
        return value


def _dump_item(value: Any) -> Any:
    return value.to_dictionary() if isinstance(value, WireObject) else value


class TimeField(Field):
    """A timestamp: a timezone-aware datetime on the instance, the raw wire string kept.

    From the wire only the raw value is stored; the first read parses it (either wire layout)
    and caches the result, None when it parses as neither. `to_dictionary` gives back the raw
    value unchanged until the attribute is reassigned. Assigning a datetime (naive means UTC)
    serialises as RFC 3339 UTC; assigning a string stores it as a raw wire value.
    """

    kind = "time"

    def __init__(self, wire: str) -> None:
        super().__init__(wire)
        self.raw = RawTime(self)

    def _bind(self, name: str) -> tuple[str, ...]:
        self.name = name
        self.slot = f"_{name}_raw"
        self.value_slot = f"_{name}_value"
        return (self.slot, self.value_slot)

    def emit(self, code: Code, owner: type[WireObject], obj: str, get: str) -> None:
        code.line(f"{obj}.{self.slot} = {get}({self.wire!r})")
        code.line(f"{obj}.{self.value_slot} = {code.constant(_UNPARSED)}")

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> TimeField: ...
    @overload
    def __get__(self, obj: WireObject, owner: type[Any]) -> datetime | None: ...
    def __get__(self, obj: WireObject | None, owner: type[Any]) -> TimeField | datetime | None:
        if obj is None:
            return self
        value = getattr(obj, self.value_slot)
        if value is _UNPARSED:
            value = parse_wire_datetime(getattr(obj, self.slot))
            setattr(obj, self.value_slot, value)
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: WireObject, value: datetime | str | None) -> None:
        if isinstance(value, datetime):
            if value.utcoffset() is None:
                value = value.replace(tzinfo=timezone.utc)
            setattr(obj, self.slot, None)
            setattr(obj, self.value_slot, value)
        else:
            # A string (or anything else) is a raw wire value, parsed on first read.
            setattr(obj, self.slot, value)
            setattr(obj, self.value_slot, None if value is None else _UNPARSED)

    def dump(self, obj: WireObject) -> Any:
        raw = getattr(obj, self.slot)
        if raw is not None:
            return raw
        value = getattr(obj, self.value_slot)
        return format_wire_datetime(value) if isinstance(value, datetime) else None

    def compared(self, obj: WireObject) -> Any:
        value = self.__get__(obj, type(obj))
        return getattr(obj, self.slot) if value is None else value

    def repr_item(self, obj: WireObject) -> str | None:
        value = self.__get__(obj, type(obj))
        if value is not None:
            return f"{self.name}={value!r}"
        raw = getattr(obj, self.slot)
        return None if raw is None else f"{self.name}_raw={raw!r}"


class RawTime:
    """Read-only view of a time field's wire value: what `to_dictionary` would send."""

    def __init__(self, field: TimeField) -> None:
        self.field = field

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> RawTime: ...
    @overload
    def __get__(self, obj: WireObject, owner: type[Any]) -> str | None: ...
    def __get__(self, obj: WireObject | None, owner: type[Any]) -> RawTime | str | None:
        if obj is None:
            return self
        return self.field.dump(obj)  # type: ignore[no-any-return]

    def __set__(self, obj: WireObject, value: NoReturn) -> NoReturn:
        raise AttributeError(
            f"{type(obj).__name__}.{self.field.name}_raw is read-only; "
            f"assign {self.field.name} instead"
        )


class _AdditionalProperties:
    """Unknown wire fields (wire keys), created on first use so most instances carry none."""

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _AdditionalProperties: ...
    @overload
    def __get__(self, obj: WireObject, owner: type[Any]) -> dict[str, Any]: ...
    def __get__(
        self, obj: WireObject | None, owner: type[Any]
    ) -> _AdditionalProperties | dict[str, Any]:
        if obj is None:
            return self
        extra = obj._extra
        if extra is None:
            extra = obj._extra = {}
        return extra

    def __set__(self, obj: WireObject, value: dict[str, Any] | None) -> None:
        obj._extra = value


def scalar(wire: str, *, also: str | None = None, default: None = None) -> Any:
    """A JSON scalar (str, int, bool ...), stored as received.

    ``also`` names a second spelling of the same field (see `_SpelledScalar`).
    """
    return _Scalar(wire) if also is None else _SpelledScalar(wire, also)


def str_list(wire: str, *, default: None = None) -> Any:
    """A JSON list of scalars; must be a list, items stored as received."""
    return _StrList(wire)


def nested(wire: str, model: type[WireObject], *, default: None = None) -> Any:
    """A JSON object parsed as `model`."""
    return _Nested(wire, model)


def nested_list(wire: str, model: type[WireObject], *, default: None = None) -> Any:
    """A JSON list of objects, each parsed as `model`."""
    return _NestedList(wire, model)
