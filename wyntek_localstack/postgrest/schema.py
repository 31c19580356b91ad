"""What PostgREST calls the schema cache: tables, columns, keys and functions of `public`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection

EXPOSED_SCHEMA = "public"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # format_type(), usable in a cast
    generated: bool = False


@dataclass(frozen=True)
class ForeignKey:
    name: str
    table: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclass
class Table:
    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    insertable: bool = True


@dataclass(frozen=True)
class Argument:
    name: str
    type: str
    has_default: bool


@dataclass(frozen=True)
class Function:
    name: str
    args: tuple[Argument, ...]
    return_type: str
    returns_set: bool
    returns_void: bool
    # Name of the table whose rows it returns (setof table), else None.
    row_table: str | None
    composite: bool
    volatile: bool
    single_unnamed_json: bool


@dataclass
class Schema:
    tables: dict[str, Table] = field(default_factory=dict)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    functions: dict[str, list[Function]] = field(default_factory=dict)


TABLES_SQL = """
select c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod) as type,
       a.attgenerated <> '' as generated
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p', 'f')
order by c.relname, a.attnum
"""

PK_SQL = """
select c.relname, array_agg(a.attname order by k.ord) as cols
from pg_index i
join pg_class c on c.oid = i.indrelid
join pg_namespace n on n.oid = c.relnamespace
cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
where n.nspname = %s and i.indisprimary
group by c.relname
"""

FK_SQL = """
select con.conname, c.relname as tbl, r.relname as ref,
       (select array_agg(a.attname order by k.ord) from unnest(con.conkey) with ordinality
            as k(attnum, ord) join pg_attribute a on a.attrelid = con.conrelid
            and a.attnum = k.attnum) as cols,
       (select array_agg(a.attname order by k.ord) from unnest(con.confkey) with ordinality
            as k(attnum, ord) join pg_attribute a on a.attrelid = con.confrelid
            and a.attnum = k.attnum) as ref_cols
from pg_constraint con
join pg_class c on c.oid = con.conrelid
join pg_class r on r.oid = con.confrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_namespace rn on rn.oid = r.relnamespace
where con.contype = 'f' and n.nspname = %s and rn.nspname = %s
"""

FUNCTIONS_SQL = """
select p.proname, p.proretset, p.provolatile, p.pronargs, p.pronargdefaults,
       coalesce(p.proargnames, '{}') as argnames,
       coalesce(p.proargmodes::text[], '{}') as argmodes,
       (select array_agg(format_type(t, null) order by o)
          from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality
          as x(t, o)) as argtypes,
       format_type(p.prorettype, null) as rettype,
       rt.typtype as rettyptype, rc.relname as retrel, rn.nspname as retrelschema
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_type rt on rt.oid = p.prorettype
left join pg_class rc on rc.oid = rt.typrelid
left join pg_namespace rn on rn.oid = rc.relnamespace
where n.nspname = %s and p.prokind = 'f'
"""


async def load(conn: AsyncConnection[Any]) -> Schema:
    schema = Schema()
    cur = await conn.execute(TABLES_SQL, [EXPOSED_SCHEMA])
    for row in await cur.fetchall():
        table = schema.tables.setdefault(row["relname"], Table(row["relname"]))
        table.insertable = row["relkind"] in ("r", "p", "v", "f")
        table.columns[row["attname"]] = Column(row["attname"], row["type"], row["generated"])
    cur = await conn.execute(PK_SQL, [EXPOSED_SCHEMA])
    for row in await cur.fetchall():
        if row["relname"] in schema.tables:
            schema.tables[row["relname"]].primary_key = tuple(row["cols"])
    cur = await conn.execute(FK_SQL, [EXPOSED_SCHEMA, EXPOSED_SCHEMA])
    for row in await cur.fetchall():
        schema.foreign_keys.append(ForeignKey(row["conname"], row["tbl"], tuple(row["cols"]),
                                              row["ref"], tuple(row["ref_cols"])))
    cur = await conn.execute(FUNCTIONS_SQL, [EXPOSED_SCHEMA])
    for row in await cur.fetchall():
        fn = _function(row)
        if fn is not None:
            schema.functions.setdefault(fn.name, []).append(fn)
    return schema


def _function(row: dict[str, Any]) -> Function | None:
    names: list[str] = list(row["argnames"])
    modes: list[str] = list(row["argmodes"])
    types: list[str] = list(row["argtypes"] or [])
    if not modes:
        modes = ["i"] * len(types)
    inputs = [(names[i] if i < len(names) else "", types[i]) for i, m in enumerate(modes)
              if m in ("i", "b", "v")]
    first_default = len(inputs) - int(row["pronargdefaults"])
    args = tuple(Argument(name, typ, i >= first_default) for i, (name, typ) in enumerate(inputs))
    single_json = len(args) == 1 and args[0].name == "" and args[0].type in ("json", "jsonb")
    if any(a.name == "" for a in args) and not single_json:
        return None  # unnamed arguments cannot be called by name
    row_table = row["retrel"] if row["retrelschema"] == EXPOSED_SCHEMA else None
    return Function(
        name=row["proname"], args=args, return_type=row["rettype"],
        returns_set=row["proretset"], returns_void=row["rettype"] == "void",
        row_table=row_table,
        composite=row["rettyptype"] == "c" or row["rettype"] == "record",
        volatile=row["provolatile"] == "v", single_unnamed_json=single_json,
    )
