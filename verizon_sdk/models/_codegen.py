"""The parser generator: one straight-line ``_from_wire(data)`` function per model.

A status page holds up to 1000 devices, so each model's field table is compiled into one
function: slot stores instead of ``setattr`` calls, and the items of a list of models built
inline in the loop, without a call per item. That parses about three times faster than walking
the table at run time (see ``benchmarks/``); the behaviour is the table's, field by field. It is
compiled on a model's first parse, not at import, and its source is registered with `linecache`,
so tracebacks and ``inspect.getsource`` show it.

Each field writes its own lines (``Field.emit`` in `_fields`); this module only knows that a
model class has ``_fields`` and ``_wire_names`` and gets a ``_from_wire`` installed.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Code", "compile_on_first_use", "emit_model"]


class Code:
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


def emit_model(code: Code, model: type[Any], data: str, obj: str) -> None:
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
    for field in model._fields:
        field.emit_after_extra(code, obj, data)


def _compile_from_wire(model: type[Any]) -> Callable[[dict[str, Any]], Any]:
    code = Code()
    emit_model(code, model, "data", "obj")
    name = f"_from_wire_{model.__name__}"
    source = "\n".join([f"def {name}(data):", *code.lines, "    return obj", ""])
    filename = f"<{model.__module__}.{model.__qualname__}._from_wire>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(compile(source, filename, "exec"), code.namespace)
    function: Callable[[dict[str, Any]], Any] = code.namespace[name]
    return function


def compile_on_first_use(model: type[Any]) -> Callable[[dict[str, Any]], Any]:
    """A ``_from_wire`` that compiles the real one, installs it on ``model``, and calls it.

    Compiling at import would cost about 0.2 ms a model on every cold start. Two threads that
    race here both compile; the results are the same function, so either may win.
    """

    def from_wire(data: dict[str, Any]) -> Any:
        compiled = _compile_from_wire(model)
        model._from_wire = staticmethod(compiled)
        return compiled(data)

    return from_wire
