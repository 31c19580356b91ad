"""Translate a parsed PostgREST request into SQL with bind parameters.

Every identifier is looked up in the schema cache before it is written (quoted) into SQL
text; every value is a bind parameter cast to the column's catalogue type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .grammar import Condition, Filter, Logic, OrderTerm, Query, SelectItem
from .schema import EXPOSED_SCHEMA, Column, ForeignKey, Function, Schema, Table

MAX_ROWS = 1000  # the hosted platform's db-max-rows


class ApiError(Exception):
    """A PostgREST-shaped error: `{code, message, details, hint}` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, details: str | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.hint = details, hint

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details,
                "hint": self.hint}


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qualified(table: str) -> str:
    return f"{ident(EXPOSED_SCHEMA)}.{ident(table)}"


@dataclass
class Sql:
    text: str
    params: list[Any] = field(default_factory=list)


class Builder:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema

    # -- lookups
    def table(self, name: str) -> Table:
        table = self.schema.tables.get(name)
        if table is None:
            raise ApiError(404, "PGRST205",
                           f"Could not find the table '{EXPOSED_SCHEMA}.{name}' in the schema "
                           "cache")
        return table

    @staticmethod
    def column(table: Table, name: str) -> Column:
        column = table.columns.get(name)
        if column is None:
            raise ApiError(400, "42703", f"column {table.name}.{name} does not exist")
        return column

    # -- filters
    def where(self, table: Table, conditions: list[Condition], alias: str,
              params: list[Any]) -> str:
        if not conditions:
            return "true"
        return " and ".join(self._condition(table, c, alias, params) for c in conditions)

    def _condition(self, table: Table, cond: Condition, alias: str, params: list[Any]) -> str:
        if isinstance(cond, Logic):
            joiner = f" {cond.op} "
            inner = joiner.join(self._condition(table, c, alias, params) for c in cond.items)
            return f"not ({inner})" if cond.negate else f"({inner})"
        expr = self._filter(table, cond, alias, params)
        return f"not ({expr})" if cond.negate else expr

    def _filter(self, table: Table, f: Filter, alias: str, params: list[Any]) -> str:
        column = self.column(table, f.column)
        col = f"{alias}.{ident(column.name)}"
        typ = column.type
        op = f.op
        if op == "is":
            value = str(f.value).lower()
            return {"null": f"{col} is null", "not_null": f"{col} is not null",
                    "true": f"{col} is true", "false": f"{col} is false",
                    "unknown": f"{col} is unknown"}[value]
        if op == "in":
            params.append(list(f.value))
            return f"{col} = any(%s::{typ}[])" if not typ.endswith("]") else \
                f"{col}::text = any(%s::text[])"
        if op in ("like", "ilike"):
            params.append(str(f.value).replace("*", "%"))
            return f"{col}::text {op} %s"
        if op in ("match", "imatch"):
            params.append(str(f.value))
            return f"{col}::text {'~' if op == 'match' else '~*'} %s"
        sql_op = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=",
                  "cs": "@>", "cd": "<@", "ov": "&&", "isdistinct": "is distinct from"}[op]
        params.append(str(f.value))
        return f"{col} {sql_op} %s::{typ}"

    # -- select lists (with embedded relations)
    def select_list(self, table: Table, items: list[SelectItem], alias: str, depth: int,
                    params: list[Any]) -> str:
        out: list[str] = []
        for item in items:
            if item.children is not None:
                out.append(self._embed(table, item, alias, depth, params))
            elif item.name == "*":
                out.append(f"{alias}.*")
            else:
                column = self.column(table, item.name)
                expr = f"{alias}.{ident(column.name)}"
                if item.cast:
                    expr += f"::{item.cast}"
                out.append(f"{expr} as {ident(item.alias or column.name)}")
        return ", ".join(out)

    def _relation(self, table: Table, item: SelectItem) -> tuple[ForeignKey, bool]:
        """The foreign key that links `table` to the embedded resource; True if to-one."""
        candidates: list[tuple[ForeignKey, bool]] = []
        for fk in self.schema.foreign_keys:
            if fk.table == table.name and (fk.ref_table == item.name or
                                           (len(fk.columns) == 1 and fk.columns[0] == item.name)):
                candidates.append((fk, True))
            elif fk.ref_table == table.name and fk.table == item.name:
                candidates.append((fk, False))
        if item.hint:
            candidates = [c for c in candidates if item.hint in (c[0].name, *c[0].columns)]
        if not candidates:
            raise ApiError(400, "PGRST200",
                           f"Could not find a relationship between '{table.name}' and "
                           f"'{item.name}' in the schema cache")
        if len(candidates) > 1:
            raise ApiError(300, "PGRST201",
                           f"Could not embed because more than one relationship was found "
                           f"for '{table.name}' and '{item.name}'",
                           hint="Specify the relationship with '!' (for example "
                                f"{item.name}!{candidates[0][0].name}(...)).")
        return candidates[0]

    def _link(self, table: Table, item: SelectItem, alias: str,
              depth: int) -> tuple[Table, str, str, bool]:
        """(embedded table, join condition, its alias, to-one) for an embed of `table`."""
        fk, to_one = self._relation(table, item)
        target = self.table(fk.ref_table if to_one else fk.table)
        inner = f"_t{depth + 1}"
        if to_one:
            join = " and ".join(f"{inner}.{ident(r)} = {alias}.{ident(c)}"
                                for c, r in zip(fk.columns, fk.ref_columns, strict=True))
        else:
            join = " and ".join(f"{inner}.{ident(c)} = {alias}.{ident(r)}"
                                for c, r in zip(fk.columns, fk.ref_columns, strict=True))
        return target, join, inner, to_one

    def inner_joins(self, table: Table, items: list[SelectItem], alias: str,
                    depth: int) -> list[str]:
        """`!inner` embeds keep only the rows that have a related row (visible under RLS),
        nested inner embeds included, as PostgREST's inner join does."""
        conditions: list[str] = []
        for item in items:
            if item.children is None or not item.inner:
                continue
            target, join, child, _ = self._link(table, item, alias, depth)
            nested = self.inner_joins(target, item.children, child, depth + 1)
            where = " and ".join([join, *nested])
            conditions.append(
                f"exists (select 1 from {qualified(target.name)} {child} where {where})")
        return conditions

    def _embed(self, table: Table, item: SelectItem, alias: str, depth: int,
               params: list[Any]) -> str:
        target, join, inner, to_one = self._link(table, item, alias, depth)
        assert item.children is not None
        cols = self.select_list(target, item.children, inner, depth + 1, params)
        where = " and ".join([join, *self.inner_joins(target, item.children, inner, depth + 1)])
        source = f"select {cols} from {qualified(target.name)} {inner} where {where}"
        name = ident(item.alias or item.name)
        if to_one:
            return f"(select row_to_json(_e) from ({source} limit 1) _e) as {name}"
        return f"coalesce((select json_agg(_e) from ({source}) _e), '[]'::json) as {name}"

    def order_by(self, table: Table, terms: list[OrderTerm], alias: str) -> str:
        if not terms:
            return ""
        parts = []
        for term in terms:
            column = self.column(table, term.column)
            part = f"{alias}.{ident(column.name)} {'desc' if term.desc else 'asc'}"
            if term.nulls:
                part += f" nulls {term.nulls}"
            parts.append(part)
        return " order by " + ", ".join(parts)

    @staticmethod
    def window(limit: int | None, offset: int, params: list[Any], *, cap: bool = True) -> str:
        if cap:
            limit = MAX_ROWS if limit is None else min(limit, MAX_ROWS)
        text = ""
        if limit is not None:
            params.append(limit)
            text += " limit %s"
        if offset:
            params.append(offset)
            text += " offset %s"
        return text

    # -- statements
    def read(self, table_name: str, query: Query) -> tuple[Sql, Sql]:
        """(rows as a JSON array text + row count, total count)."""
        table = self.table(table_name)
        params: list[Any] = []
        cols = self.select_list(table, query.select, "_t0", 0, params)
        where_params: list[Any] = []
        where = self.where(table, query.conditions, "_t0", where_params)
        inner = self.inner_joins(table, query.select, "_t0", 0)
        if inner:
            where = " and ".join([f"({where})", *inner])
        params += where_params
        order = self.order_by(table, query.order, "_t0")
        window = self.window(query.limit, query.offset, params)
        text = (f"select coalesce(json_agg(_r), '[]'::json)::text as body, count(*) as n from "
                f"(select {cols} from {qualified(table.name)} _t0 where {where}{order}{window}) _r")
        count = Sql(f"select count(*) as n from {qualified(table.name)} _t0 where {where}",
                    list(where_params))
        return Sql(text, params), count

    def _returning(self, table: Table, query: Query, params: list[Any]) -> str:
        cols = self.select_list(table, query.select, "_t0", 0, params)
        order = self.order_by(table, query.order, "_t0")
        return (f" select coalesce(json_agg(_r), '[]'::json)::text as body, count(*) as n "
                f"from (select {cols} from _src _t0{order}) _r")

    def insert(self, table_name: str, query: Query, rows: list[dict[str, Any]], *,
               representation: bool, resolution: str | None,
               missing_default: bool = False) -> Sql:
        table = self.table(table_name)
        if query.columns is not None:
            names = query.columns
        else:
            seen: dict[str, None] = {}
            for row in rows:
                for key in row:
                    seen.setdefault(key, None)
            names = list(seen)
        for name in names:
            if name not in table.columns:
                raise ApiError(400, "PGRST204",
                               f"Could not find the '{name}' column of '{table.name}' in the "
                               "schema cache")
        params: list[Any] = []
        target = f"{qualified(table.name)} as _t0"
        if names and missing_default:
            # `Prefer: missing=default`: a key absent from a row takes the column default.
            cols = ", ".join(ident(n) for n in names)
            tuples = []
            for row in rows:
                cells = []
                for name in names:
                    if name in row:
                        column = table.columns[name]
                        params.append(sql_value(row[name], column.type))
                        cells.append(f"%s::{column.type}")
                    else:
                        cells.append("default")
                tuples.append("(" + ", ".join(cells) + ")")
            stmt = f"insert into {target} ({cols}) values " + ", ".join(tuples)
        elif names:
            cols = ", ".join(ident(n) for n in names)
            params.append(json.dumps(rows))
            stmt = (f"insert into {target} ({cols}) select {cols} from "
                    f"json_populate_recordset(null::{qualified(table.name)}, %s::json)")
        else:
            stmt = f"insert into {target} default values"
        if resolution is not None:
            conflict = query.on_conflict or list(table.primary_key)
            for name in conflict:
                self.column(table, name)
            if not conflict:
                raise ApiError(400, "PGRST100", "on_conflict needs a unique or primary key")
            target_cols = ", ".join(ident(n) for n in conflict)
            updates = [n for n in names if n not in conflict] or list(conflict)
            if resolution == "ignore-duplicates":
                stmt += f" on conflict ({target_cols}) do nothing"
            else:
                sets = ", ".join(f"{ident(n)} = excluded.{ident(n)}" for n in updates)
                stmt += f" on conflict ({target_cols}) do update set {sets}"
        return self._mutation(table, query, stmt, params, representation)

    def update(self, table_name: str, query: Query, values: dict[str, Any], *,
               representation: bool) -> Sql:
        table = self.table(table_name)
        for name in values:
            if name not in table.columns:
                raise ApiError(400, "PGRST204",
                               f"Could not find the '{name}' column of '{table.name}' in the "
                               "schema cache")
        params: list[Any] = [json.dumps(values)]
        sets = ", ".join(f"{ident(n)} = _p.{ident(n)}" for n in values)
        where = self.where(table, query.conditions, "_t0", params)
        stmt = (f"update {qualified(table.name)} as _t0 set {sets} from "
                f"json_populate_record(null::{qualified(table.name)}, %s::json) _p "
                f"where {where}")
        return self._mutation(table, query, stmt, params, representation)

    def delete(self, table_name: str, query: Query, *, representation: bool) -> Sql:
        table = self.table(table_name)
        params: list[Any] = []
        where = self.where(table, query.conditions, "_t0", params)
        stmt = f"delete from {qualified(table.name)} as _t0 where {where}"
        return self._mutation(table, query, stmt, params, representation)

    def _mutation(self, table: Table, query: Query, stmt: str, params: list[Any],
                  representation: bool) -> Sql:
        if not representation:
            # No RETURNING: a write that the SELECT policy would hide still succeeds.
            return Sql(stmt, params)
        text = f"with _src as ({stmt} returning _t0.*)" + self._returning(table, query, params)
        return Sql(text, params)

    # -- functions
    def resolve_function(self, name: str, given: set[str]) -> Function:
        overloads = self.schema.functions.get(name, [])
        for fn in overloads:
            if fn.single_unnamed_json:
                return fn
            names = {a.name for a in fn.args}
            required = {a.name for a in fn.args if not a.has_default}
            if given <= names and required <= given:
                return fn
        args = ", ".join(sorted(given))
        raise ApiError(404, "PGRST202",
                       f"Could not find the function {EXPOSED_SCHEMA}.{name}({args}) in the "
                       "schema cache",
                       hint="Check the function name and its argument names.")

    def call(self, fn: Function, args: dict[str, Any], query: Query,
             raw_body: str | None) -> Sql:
        params: list[Any] = []
        if fn.single_unnamed_json:
            params.append(raw_body if raw_body is not None else json.dumps(args))
            call_args = f"%s::{fn.args[0].type}"
        else:
            parts = []
            for arg in fn.args:
                if arg.name in args:
                    params.append(sql_value(args[arg.name], arg.type))
                    parts.append(f"{ident(arg.name)} => %s::{arg.type}")
            call_args = ", ".join(parts)
        call = f"{qualified(fn.name)}({call_args})"
        if fn.returns_void:
            return Sql(f"select {call}", params)
        if not fn.returns_set and not fn.composite:
            return Sql(f"select to_json({call})::text as body, 1 as n", params)
        if not fn.returns_set:
            return Sql(f"select to_json(_t0)::text as body, 1 as n from {call} _t0", params)
        table = self.schema.tables.get(fn.row_table) if fn.row_table else None
        if table is None:
            if query.conditions or query.order or query.select != [SelectItem("*")]:
                raise ApiError(400, "PGRST100",
                               f"{fn.name} does not return table rows, so it cannot be "
                               "filtered, ordered or have columns selected")
            window = self.window(query.limit, query.offset, params, cap=False)
            return Sql(f"select coalesce(json_agg(_r), '[]'::json)::text as body, count(*) as n "
                       f"from (select * from {call} _t0{window}) _r", params)
        cols = self.select_list(table, query.select, "_t0", 0, params)
        where = self.where(table, query.conditions, "_t0", params)
        order = self.order_by(table, query.order, "_t0")
        window = self.window(query.limit, query.offset, params, cap=False)
        return Sql(f"select coalesce(json_agg(_r), '[]'::json)::text as body, count(*) as n "
                   f"from (select {cols} from {call} _t0 where {where}{order}{window}) _r",
                   params)


def _array_literal(items: list[Any]) -> str:
    parts = []
    for item in items:
        if item is None:
            parts.append("NULL")
        elif isinstance(item, list):
            parts.append(_array_literal(item))
        else:
            text = item if isinstance(item, str) else (
                json.dumps(item) if isinstance(item, dict) else _scalar_text(item))
            parts.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(parts) + "}"


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def sql_value(value: Any, pg_type: str) -> str | None:
    """A JSON argument as the text Postgres will cast to `pg_type`."""
    if value is None:
        return None
    if pg_type in ("json", "jsonb"):
        return json.dumps(value)
    if isinstance(value, list):
        return _array_literal(value)
    if isinstance(value, dict):
        return json.dumps(value)
    return value if isinstance(value, str) else _scalar_text(value)
