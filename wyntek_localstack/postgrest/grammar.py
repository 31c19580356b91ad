"""PostgREST's query-string grammar: filters, logic trees, select lists and ordering.

Parsing only; nothing here knows about the database. Identifiers are checked against the
schema later, and values never reach SQL text (they become bind parameters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

OPERATORS = frozenset({"eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match",
                       "imatch", "is", "isdistinct", "in", "cs", "cd", "ov"})
IS_VALUES = frozenset({"null", "true", "false", "unknown", "not_null"})
RESERVED = frozenset({"select", "order", "limit", "offset", "columns", "on_conflict"})
LOGIC_KEYS = frozenset({"and", "or", "not.and", "not.or"})
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
CAST_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[\])?$")


class QueryError(ValueError):
    """The query string does not follow PostgREST's grammar (PGRST100)."""

    def __init__(self, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    value: str | tuple[str | None, ...]
    negate: bool = False


@dataclass(frozen=True)
class Logic:
    op: str  # "and" | "or"
    items: tuple[Filter | Logic, ...]
    negate: bool = False


Condition = Filter | Logic


@dataclass
class SelectItem:
    """A column (`name`), `*`, or an embedded relation (`children` is not None)."""

    name: str
    alias: str | None = None
    cast: str | None = None
    children: list[SelectItem] | None = None
    hint: str | None = None
    inner: bool = False


@dataclass(frozen=True)
class OrderTerm:
    column: str
    desc: bool = False
    nulls: str | None = None  # "first" | "last"


@dataclass
class Query:
    conditions: list[Condition] = field(default_factory=list)
    select: list[SelectItem] = field(default_factory=lambda: [SelectItem("*")])
    order: list[OrderTerm] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0
    columns: list[str] | None = None
    on_conflict: list[str] | None = None


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split at `sep` outside parentheses and double quotes."""
    parts: list[str] = []
    depth, quoted, escaped = 0, False, False
    current: list[str] = []
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
            continue
        if ch == "\\" and quoted:
            current.append(ch)
            escaped = True
            continue
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "({":
            depth += 1
        elif not quoted and ch in ")}":
            depth -= 1
            if depth < 0:
                raise QueryError("unbalanced parentheses", text)
        elif ch == sep and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    if depth != 0 or quoted:
        raise QueryError("unbalanced parentheses or quotes", text)
    parts.append("".join(current))
    return parts


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        inner = value[1:-1]
        return re.sub(r"\\(.)", r"\1", inner)
    return value


def parse_list(value: str) -> tuple[str | None, ...]:
    """`(a,"b,c",null)` as used by `in.`; an unquoted `null` element is SQL NULL."""
    if not (value.startswith("(") and value.endswith(")")):
        raise QueryError("in. needs a parenthesised list", value)
    body = value[1:-1]
    if body == "":
        return ()
    return tuple(None if part == "null" else unquote(part) for part in split_top(body))


def parse_operation(column: str, text: str, *, in_logic: bool = False) -> Filter:
    """`[not.]op.value` for `column`."""
    negate = False
    if text.startswith("not."):
        negate, text = True, text[4:]
    op, dot, value = text.partition(".")
    if not dot or op not in OPERATORS:
        raise QueryError(f'"failed to parse filter ({text})" (line 1, column 1)',
                         f"unexpected operator or value in {column}={text}")
    if op == "in":
        return Filter(column, op, parse_list(value), negate)
    if in_logic:
        value = unquote(value)
    if op == "is" and value.lower() not in IS_VALUES:
        raise QueryError(f'"failed to parse filter (is.{value})" (line 1, column 1)',
                         "is. accepts null, not_null, true, false or unknown")
    return Filter(column, op, value, negate)


def parse_logic(op: str, text: str, negate: bool = False) -> Logic:
    if not (text.startswith("(") and text.endswith(")")):
        raise QueryError(f'"failed to parse logic tree ({text})" (line 1, column 1)',
                         "logic trees are written or=(a.eq.1,b.eq.2)")
    items: list[Condition] = []
    for part in split_top(text[1:-1]):
        part = part.strip()
        m = re.match(r"^(not\.)?(and|or)(\(.*\))$", part, re.S)
        if m:
            items.append(parse_logic(m.group(2), m.group(3), bool(m.group(1))))
            continue
        column, dot, rest = part.partition(".")
        if not dot:
            raise QueryError(f'"failed to parse logic tree ({text})" (line 1, column 1)', part)
        items.append(parse_operation(column, rest, in_logic=True))
    if not items:
        raise QueryError("empty logic tree", text)
    return Logic(op, tuple(items), negate)


def parse_select(text: str) -> list[SelectItem]:
    items: list[SelectItem] = []
    for raw in split_top(text):
        part = raw.strip()
        if not part:
            continue
        alias = None
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_$]*):(?!:)(.*)$", part, re.S)
        if m:
            alias, part = m.group(1), m.group(2)
        if "(" in part and part.endswith(")"):
            head, _, inner = part.partition("(")
            name, _, hint = head.partition("!")
            hint_value: str | None = hint or None
            is_inner = False
            if hint_value in ("inner", "left"):
                is_inner, hint_value = hint_value == "inner", None
            elif hint_value and "!" in hint_value:
                hint_value, _, mode = hint_value.partition("!")
                is_inner = mode == "inner"
            if not NAME_RE.match(name):
                raise QueryError(f'"failed to parse select parameter ({text})"', part)
            items.append(SelectItem(name, alias, None, parse_select(inner[:-1]) or
                                    [SelectItem("*")], hint_value, is_inner))
            continue
        name, _, cast = part.partition("::")
        if name != "*" and not NAME_RE.match(name):
            raise QueryError(f'"failed to parse select parameter ({text})"', part)
        if cast and not CAST_RE.match(cast):
            raise QueryError(f'"failed to parse select parameter ({text})"', part)
        items.append(SelectItem(name, alias, cast or None))
    return items or [SelectItem("*")]


def parse_order(text: str) -> list[OrderTerm]:
    terms: list[OrderTerm] = []
    for part in text.split(","):
        bits = part.strip().split(".")
        column, mods = bits[0], bits[1:]
        if not NAME_RE.match(column):
            raise QueryError(f'"failed to parse order ({text})"', part)
        desc, nulls = False, None
        for mod in mods:
            if mod in ("asc", "desc"):
                desc = mod == "desc"
            elif mod in ("nullsfirst", "nullslast"):
                nulls = mod[5:]
            else:
                raise QueryError(f'"failed to parse order ({text})"', part)
        terms.append(OrderTerm(column, desc, nulls))
    return terms


def _non_negative(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise QueryError(f'"failed to parse {name} ({value})"', None) from None
    if number < 0:
        raise QueryError(f'"failed to parse {name} ({value})"', None)
    return number


def parse_query(params: list[tuple[str, str]], *, skip: frozenset[str] = frozenset()) -> Query:
    """Turn decoded query parameters into a Query; `skip` names RPC arguments."""
    query = Query()
    for key, value in params:
        if key in skip:
            continue
        if key == "select":
            query.select = parse_select(value)
        elif key == "order":
            query.order = parse_order(value)
        elif key == "limit":
            query.limit = _non_negative("limit", value)
        elif key == "offset":
            query.offset = _non_negative("offset", value)
        elif key == "columns":
            query.columns = [unquote(c.strip()) for c in split_top(value) if c.strip()]
        elif key == "on_conflict":
            query.on_conflict = [c.strip() for c in value.split(",") if c.strip()]
        elif key in LOGIC_KEYS:
            negate = key.startswith("not.")
            query.conditions.append(parse_logic(key.removeprefix("not."), value, negate))
        else:
            if not NAME_RE.match(key):
                raise QueryError(f'"failed to parse filter ({key})"',
                                 "JSON paths and embedded filters are not supported here")
            query.conditions.append(parse_operation(key, value))
    return query
