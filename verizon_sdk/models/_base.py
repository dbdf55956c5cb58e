"""Shared machinery for the wire models.

A model is a class body of field declarations; everything else lives here::

    class V3LicenseDevice(Model):
        device_id: str | None = scalar("deviceId", default=None)
        assignment_time: TimeField = TimeField("assignmentTime")
        assignment_time_raw = assignment_time.raw

`ModelMeta` turns the declarations into ``__slots__`` and a field table (python name, wire
name, kind). The field kinds are `scalar`, `str_list`, `nested`, `nested_list` and `TimeField`.
``default=None`` is spelled out because type checkers (PEP 681) only treat a field as optional
when the call names its default; every field defaults to None.

Parsing is by presence, never truthiness, and never coerces: a scalar is stored exactly as it
came off the wire. Only the shape is checked (an object where an object belongs, a list where a
list belongs), and a wrong shape raises TypeError naming the model and the wire field.

Speed: a status page holds up to 1000 devices, so each model's field table is compiled into one
straight-line ``_from_wire(data)`` function: slot stores instead of ``setattr`` calls, and the
items of a list of models built inline in the loop, without a call per item. That parses about
three times faster than walking the table at run time (see ``benchmarks/``); the behaviour is
the table's, field by field. It is compiled on a model's first parse, not at import, and its
source is registered with `linecache`, so tracebacks and ``inspect.getsource`` show it.
"""

from __future__ import annotations

import difflib
import enum
import linecache
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, overload

from verizon_sdk._timeparse import format_wire_datetime, parse_wire_datetime

if TYPE_CHECKING:
    from typing_extensions import Self, dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[type], type]:
        return lambda cls: cls


__all__ = ["Model", "ModelMeta", "TimeField", "nested", "nested_list", "scalar", "str_list"]


class _Unparsed(enum.Enum):
    """Marks a time field whose raw wire value has not been parsed yet (an enum so it pickles)."""

    TOKEN = enum.auto()


_UNPARSED = _Unparsed.TOKEN


Loader = Callable[[type["Model"], Any], Any]


#: List items a model's repr shows; a page of 1,000 devices stays readable.
REPR_ITEMS = 3


def _did_you_mean(cls: type[Model], key: str) -> str:
    """A hint for a mistyped keyword: the Python name of a wire name, or a close match."""
    for field in cls._fields:
        if key == field.wire:
            return f" (the wire field {key!r} is {field.name!r} in Python)"
    close = difflib.get_close_matches(key, sorted(cls._init_names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _type_name(value: object) -> str:
    return type(value).__name__


def _shape_error(owner: type[Model], where: str, expected: str, value: object) -> TypeError:
    return TypeError(f"{owner.__name__}.{where}: expected {expected}, got {_type_name(value)}")


def _item_shape_error(owner: type[Model], wire: str, index: int, value: object) -> TypeError:
    return _shape_error(owner, f"{wire}[{index}]", "an object", value)


class _Code:
    """The source of one generated ``_from_wire`` function, and the constants it refers to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {}
        self._names: dict[int, str] = {}
        self._depth = 1
        self._count = 0

    def line(self, text: str) -> None:
        self.lines.append("    " * self._depth + text)

    @contextmanager
    def indented(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1

    def local(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def constant(self, value: Any) -> str:
        """A global name of the generated function bound to ``value``."""
        name = self._names.get(id(value))
        if name is None:
            name = self._names[id(value)] = f"_k{len(self._names)}"
            self.namespace[name] = value
        return name


def _emit_model(code: _Code, model: type[Model], data: str, obj: str) -> None:
    """Lines that build ``obj``, a ``model``, from the wire object ``data`` (a dict)."""
    get = f"{data}.get"  # no local alias: creating the bound method costs more than it saves
    known = code.constant(model._wire_names)
    code.line(f"{obj} = {code.constant(object.__new__)}({code.constant(model)})")
    for field in model._fields:
        field.emit(code, model, obj, get)
    code.line(
        f"{obj}._extra = None if {known}.issuperset({data}) "
        f"else {{k: v for k, v in {data}.items() if k not in {known}}}"
    )


def _compile_from_wire(model: type[Model]) -> Callable[[dict[str, Any]], Any]:
    code = _Code()
    _emit_model(code, model, "data", "obj")
    name = f"_from_wire_{model.__name__}"
    source = "\n".join([f"def {name}(data):", *code.lines, "    return obj", ""])
    filename = f"<{model.__module__}.{model.__qualname__}._from_wire>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(compile(source, filename, "exec"), code.namespace)
    function: Callable[[dict[str, Any]], Any] = code.namespace[name]
    return function


def _compile_on_first_use(model: type[Model]) -> Callable[[dict[str, Any]], Any]:
    """A ``_from_wire`` that compiles the real one, installs it on ``model``, and calls it.

    Compiling at import would cost about 0.2 ms a model on every cold start. Two threads that
    race here both compile; the results are the same function, so either may win.
    """

    def from_wire(data: dict[str, Any]) -> Any:
        compiled = _compile_from_wire(model)
        model._from_wire = staticmethod(compiled)
        return compiled(data)

    return from_wire


class Field:
    """One row of a model's field table."""

    kind: ClassVar[str]
    name: str
    slot: str

    def __init__(self, wire: str) -> None:
        self.wire = wire

    def _bind(self, name: str) -> tuple[str, ...]:
        """Learn the attribute name; return the instance slots this field needs."""
        self.name = self.slot = name
        return (name,)

    def emit(self, code: _Code, owner: type[Model], obj: str, get: str) -> None:
        """Write the lines of ``owner._from_wire`` that read this field into ``obj``.

        ``get`` is the expression of the wire dict's ``get``. The base stores the value as is.
        """
        code.line(f"{obj}.{self.slot} = {get}({self.wire!r})")

    def _emit_loaded(
        self, code: _Code, owner: type[Model], obj: str, get: str, load: Loader
    ) -> None:
        """Lines that store ``load(owner, value)`` for a present, non-None value."""
        value = code.local("value")
        code.line(f"{value} = {get}({self.wire!r})")
        code.line(f"if {value} is not None:")
        code.line(f"    {value} = {code.constant(load)}({code.constant(owner)}, {value})")
        code.line(f"{obj}.{self.slot} = {value}")

    def dump(self, obj: Model) -> Any:
        return getattr(obj, self.slot)

    def compared(self, obj: Model) -> Any:
        return getattr(obj, self.slot)

    def repr_item(self, obj: Model) -> str | None:
        value = getattr(obj, self.slot)
        if value is None:
            return None
        if isinstance(value, list) and len(value) > REPR_ITEMS:
            shown = ", ".join(repr(v) for v in value[:REPR_ITEMS])
            return f"{self.name}=[{shown}, ... {len(value) - REPR_ITEMS} more]"
        return f"{self.name}={value!r}"


class _Scalar(Field):
    kind = "scalar"


class _StrList(Field):
    kind = "list-of-str"

    def emit(self, code: _Code, owner: type[Model], obj: str, get: str) -> None:
        self._emit_loaded(code, owner, obj, get, self.load)

    def load(self, owner: type[Model], value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise _shape_error(owner, self.wire, "a list", value)
        return list(value)

    def dump(self, obj: Model) -> Any:
        value = getattr(obj, self.slot)
        return list(value) if isinstance(value, (list, tuple)) else value


class _Nested(Field):
    kind = "model"

    def __init__(self, wire: str, model: type[Model]) -> None:
        super().__init__(wire)
        self.model = model

    def emit(self, code: _Code, owner: type[Model], obj: str, get: str) -> None:
        self._emit_loaded(code, owner, obj, get, self.load)

    def load(self, owner: type[Model], value: Any) -> Any:
        if not isinstance(value, dict):
            raise _shape_error(owner, self.wire, "an object", value)
        return self.model._from_wire(value)

    def dump(self, obj: Model) -> Any:
        return _dump_item(getattr(obj, self.slot))


class _NestedList(Field):
    kind = "list-of-model"

    def __init__(self, wire: str, model: type[Model]) -> None:
        super().__init__(wire)
        self.model = model

    def emit(self, code: _Code, owner: type[Model], obj: str, get: str) -> None:
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
                _emit_model(code, self.model, item, item_obj)
                code.line(f"{append}({item_obj})")
            code.line(f"{value} = {items}")
        code.line(f"{obj}.{self.slot} = {value}")

    def dump(self, obj: Model) -> Any:
        value = getattr(obj, self.slot)
        if isinstance(value, (list, tuple)):
            return [_dump_item(item) for item in value]
        return value


def _dump_item(value: Any) -> Any:
    return value.to_dictionary() if isinstance(value, Model) else value


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

    def emit(self, code: _Code, owner: type[Model], obj: str, get: str) -> None:
        code.line(f"{obj}.{self.slot} = {get}({self.wire!r})")
        code.line(f"{obj}.{self.value_slot} = {code.constant(_UNPARSED)}")

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> TimeField: ...
    @overload
    def __get__(self, obj: Model, owner: type[Any]) -> datetime | None: ...
    def __get__(self, obj: Model | None, owner: type[Any]) -> TimeField | datetime | None:
        if obj is None:
            return self
        value = getattr(obj, self.value_slot)
        if value is _UNPARSED:
            value = parse_wire_datetime(getattr(obj, self.slot))
            setattr(obj, self.value_slot, value)
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: Model, value: datetime | str | None) -> None:
        if isinstance(value, datetime):
            if value.utcoffset() is None:
                value = value.replace(tzinfo=timezone.utc)
            setattr(obj, self.slot, None)
            setattr(obj, self.value_slot, value)
        else:
            # A string (or anything else) is a raw wire value, parsed on first read.
            setattr(obj, self.slot, value)
            setattr(obj, self.value_slot, None if value is None else _UNPARSED)

    def dump(self, obj: Model) -> Any:
        raw = getattr(obj, self.slot)
        if raw is not None:
            return raw
        value = getattr(obj, self.value_slot)
        return format_wire_datetime(value) if isinstance(value, datetime) else None

    def compared(self, obj: Model) -> Any:
        value = self.__get__(obj, type(obj))
        return getattr(obj, self.slot) if value is None else value

    def repr_item(self, obj: Model) -> str | None:
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
    def __get__(self, obj: Model, owner: type[Any]) -> str | None: ...
    def __get__(self, obj: Model | None, owner: type[Any]) -> RawTime | str | None:
        if obj is None:
            return self
        return self.field.dump(obj)  # type: ignore[no-any-return]

    def __set__(self, obj: Model, value: NoReturn) -> NoReturn:
        raise AttributeError(
            f"{type(obj).__name__}.{self.field.name}_raw is read-only; "
            f"assign {self.field.name} instead"
        )


class _AdditionalProperties:
    """Unknown wire fields (wire keys), created on first use so most instances carry none."""

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _AdditionalProperties: ...
    @overload
    def __get__(self, obj: Model, owner: type[Any]) -> dict[str, Any]: ...
    def __get__(
        self, obj: Model | None, owner: type[Any]
    ) -> _AdditionalProperties | dict[str, Any]:
        if obj is None:
            return self
        extra = obj._extra
        if extra is None:
            extra = obj._extra = {}
        return extra

    def __set__(self, obj: Model, value: dict[str, Any] | None) -> None:
        obj._extra = value


def scalar(wire: str, *, default: None = None) -> Any:
    """A JSON scalar (str, int, bool ...), stored as received."""
    return _Scalar(wire)


def str_list(wire: str, *, default: None = None) -> Any:
    """A JSON list of scalars; must be a list, items stored as received."""
    return _StrList(wire)


def nested(wire: str, model: type[Model], *, default: None = None) -> Any:
    """A JSON object parsed as `model`."""
    return _Nested(wire, model)


def nested_list(wire: str, model: type[Model], *, default: None = None) -> Any:
    """A JSON list of objects, each parsed as `model`."""
    return _NestedList(wire, model)


@dataclass_transform(kw_only_default=True, field_specifiers=(scalar, str_list, nested, nested_list))
class ModelMeta(type):
    """Builds ``__slots__`` and the field tables from a model's declarations."""

    _fields: tuple[Field, ...]
    _data_slots: tuple[str, ...]
    _wire_names: frozenset[str]
    _init_names: frozenset[str]
    #: Builds an instance from a wire dict (shape already checked); generated per model.
    _from_wire: Callable[[dict[str, Any]], Any]

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> ModelMeta:
        fields: list[Field] = [f for base in bases for f in getattr(base, "_fields", ())]
        slots = list(namespace.get("__slots__", ()))
        for attr, value in list(namespace.items()):
            if isinstance(value, Field):
                slots.extend(value._bind(attr))
                if not isinstance(value, TimeField):  # a slot replaces the declaration
                    del namespace[attr]
                fields.append(value)
        namespace["__slots__"] = tuple(slots)
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)

        wires = [f.wire for f in fields]
        if len(set(wires)) != len(wires):
            raise TypeError(f"{name}: a wire name is declared twice: {wires}")
        cls._fields = tuple(fields)
        unparsed = tuple(f.value_slot for f in fields if isinstance(f, TimeField))
        cls._data_slots = (*(f.slot for f in fields), *unparsed)
        cls._wire_names = frozenset(wires)
        cls._init_names = frozenset(["additional_properties", *(f.name for f in fields)])
        cls._from_wire = staticmethod(_compile_on_first_use(cls))  # type: ignore[arg-type]
        return cls


class Model(metaclass=ModelMeta):
    """Base of every wire model: keyword construction, dict conversion, repr and equality."""

    __slots__ = ("_extra",)
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
        out: dict[str, Any] = {}
        for field in type(self)._fields:
            value = field.dump(self)
            if value is not None:
                out[field.wire] = value
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
