"""Refusing input no route can use, before any view or query: huge ids, NUL bytes, big bodies.

Every id in the database is a 32-bit integer, and PostgreSQL refuses a NUL byte in text. A
value outside those bounds can never name anything, so it is refused here, once for every
route: the default ``int`` URL converter answers 404 for ids past 2**31 - 1, ``args.get(...,
type=int)`` answers 400 for negative or huge numbers, and a NUL byte in a query string is a
400. In a form a NUL byte becomes U+FFFD, as an undecodable byte already does, so each form
answers it as it answers any text it does not expect (and nothing reaches PostgreSQL, which
refuses NUL in text).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Request, abort, request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.formparser import FormDataParser
from werkzeug.routing import IntegerConverter

# The largest value of a PostgreSQL integer column (and of every id we hand out).
MAX_ID = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """<int:...> that matches only 0 .. 2**31 - 1: a larger number is a 404 before any query."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 0, max: int | None = MAX_ID):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max)


class BoundedArgs(ImmutableMultiDict):
    """Query and form values where ``get(name, type=int)`` refuses numbers no id can have."""

    def get(self, key: Any, default: Any = None, type: Callable | None = None) -> Any:
        """As MultiDict.get; with type=int a negative or too large number is a 400."""
        if type is not int:
            return super().get(key, default, type)
        value = super().get(key)
        try:
            number = int(value)
        except (TypeError, ValueError):
            return default
        if not 0 <= number <= MAX_ID:
            abort(400, description=f"“{key}” is out of range.")
        return number


NUL, REPLACEMENT = "\x00", "\ufffd"


class NulFreeFormParser(FormDataParser):
    """Werkzeug's form parser, with NUL in field names and values replaced by U+FFFD."""

    def parse(self, *args: Any, **kwargs: Any):
        """Parse as Werkzeug does, then replace NUL bytes in the text fields."""
        stream, form, files = super().parse(*args, **kwargs)
        if _holds_nul(form):
            form = self.cls(
                (key.replace(NUL, REPLACEMENT), value.replace(NUL, REPLACEMENT))
                for key, value in form.items(multi=True)
            )
        return stream, form, files


class AMFRequest(Request):
    """Flask's request, with query and form values in BoundedArgs and forms free of NUL."""

    parameter_storage_class = BoundedArgs
    form_data_parser_class = NulFreeFormParser


def _holds_nul(values: ImmutableMultiDict) -> bool:
    return any(NUL in key or NUL in value for key, value in values.items(multi=True))


def refuse_nul_bytes() -> None:
    """A NUL byte in the query string is a 400 before any view."""
    if request.query_string and _holds_nul(request.args):
        abort(400, description="The address holds a NUL character.")


def register(app: Flask) -> None:
    """Bounded ints for every route and query, and the NUL checks."""
    app.request_class = AMFRequest
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_nul_bytes)
