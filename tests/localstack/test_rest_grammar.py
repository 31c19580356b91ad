"""PostgREST query grammar and SQL generation, without a database."""

from __future__ import annotations

import pytest

from wyntek_localstack.postgrest.grammar import (
    Filter,
    Logic,
    QueryError,
    parse_list,
    parse_order,
    parse_query,
    parse_select,
)
from wyntek_localstack.postgrest.schema import Column, ForeignKey, Schema, Table
from wyntek_localstack.postgrest.sqlgen import ApiError, Builder, sql_value


def q(**params: str):  # type: ignore[no-untyped-def]
    return parse_query(list(params.items()))


def test_simple_filters() -> None:
    query = parse_query([("status", "eq.submitted"), ("quantity", "gte.2"),
                         ("deleted_at", "is.null"), ("status", "not.eq.done")])
    assert query.conditions == [
        Filter("status", "eq", "submitted"), Filter("quantity", "gte", "2"),
        Filter("deleted_at", "is", "null"), Filter("status", "eq", "done", negate=True)]


def test_in_list_quoting() -> None:
    assert parse_list('("a,b","x\\"y",plain,3,null)') == ("a,b", 'x"y', "plain", "3", None)
    assert parse_list("()") == ()
    with pytest.raises(QueryError):
        parse_list("a,b")


def test_logic_trees_nest() -> None:
    query = parse_query([("or", "(status.eq.a,and(quantity.gt.1,notes.is.null),id.in.(1,2))")])
    (tree,) = query.conditions
    assert isinstance(tree, Logic) and tree.op == "or"
    assert tree.items[0] == Filter("status", "eq", "a")
    inner = tree.items[1]
    assert isinstance(inner, Logic) and inner.op == "and" and len(inner.items) == 2
    assert tree.items[2] == Filter("id", "in", ("1", "2"))
    negated = parse_query([("not.or", "(a.eq.1,b.eq.2)")]).conditions[0]
    assert isinstance(negated, Logic) and negated.negate


def test_quoted_values_in_logic_trees() -> None:
    tree = parse_query([("or", '(name.eq."a,b",name.like.*x*)')]).conditions[0]
    assert isinstance(tree, Logic)
    assert tree.items[0] == Filter("name", "eq", "a,b")


@pytest.mark.parametrize("key,value", [
    ("status", "equals.x"), ("status", "eq"), ("bad;name", "eq.1"), ("or", "status.eq.a"),
    ("deleted_at", "is.maybe"), ("limit", "-1"), ("limit", "ten"), ("order", "id.sideways"),
    ("data->>x", "eq.1"),
])
def test_malformed_queries_are_refused(key: str, value: str) -> None:
    with pytest.raises(QueryError):
        parse_query([(key, value)])


def test_select_with_alias_cast_and_embedding() -> None:
    items = parse_select("id,state:status,qty:quantity::text,files:job_files(file_name,size_bytes)")
    assert [i.name for i in items] == ["id", "status", "quantity", "job_files"]
    assert items[1].alias == "state" and items[2].cast == "text"
    assert items[3].alias == "files"
    assert [c.name for c in items[3].children or []] == ["file_name", "size_bytes"]
    with pytest.raises(QueryError):
        parse_select("id::text;drop table x")


def test_order_terms() -> None:
    terms = parse_order("created_at.desc.nullslast,id")
    assert terms[0].desc and terms[0].nulls == "last" and not terms[1].desc


def _schema() -> Schema:
    jobs = Table("jobs", {n: Column(n, t) for n, t in [
        ("id", "uuid"), ("user_id", "uuid"), ("status", "text"), ("quantity", "integer"),
        ("tags", "text[]"), ("data", "jsonb")]}, ("id",))
    files = Table("job_files", {n: Column(n, t) for n, t in [
        ("id", "uuid"), ("job_id", "uuid"), ("file_name", "text")]}, ("id",))
    fk = ForeignKey("job_files_job_id_fkey", "job_files", ("job_id",), "jobs", ("id",))
    return Schema({"jobs": jobs, "job_files": files}, [fk], {})


def test_values_are_bind_parameters_cast_to_the_column_type() -> None:
    rows, count = Builder(_schema()).read("jobs", parse_query([
        ("status", "eq.x'; drop table jobs; --"), ("quantity", "in.(1,2)"),
        ("tags", "cs.{a,b}")]))
    assert "drop table" not in rows.text
    assert "x'; drop table jobs; --" in rows.params
    assert '"quantity" = any(%s::integer[])' in rows.text
    assert '"tags" @> %s::text[]' in rows.text
    assert count.params == rows.params[:3]


def test_unknown_identifiers_never_reach_sql() -> None:
    builder = Builder(_schema())
    with pytest.raises(ApiError) as err:
        builder.read("nope", parse_query([]))
    assert err.value.code == "PGRST205" and err.value.status == 404
    with pytest.raises(ApiError) as err:
        builder.read("jobs", parse_query([("secret", "eq.1")]))
    assert err.value.code == "42703"
    with pytest.raises(ApiError) as err:
        builder.insert("jobs", parse_query([]), [{"status": "a", "evil\"": 1}],
                       representation=True, resolution=None)
    assert err.value.code == "PGRST204"


def test_embedding_both_directions() -> None:
    builder = Builder(_schema())
    rows, _ = builder.read("jobs", parse_query([("select", "id,job_files(file_name)")]))
    assert "json_agg(_e)" in rows.text and '_t1."job_id" = _t0."id"' in rows.text
    rows, _ = builder.read("job_files", parse_query([("select", "file_name,jobs(status)")]))
    assert "row_to_json(_e)" in rows.text and '_t1."id" = _t0."job_id"' in rows.text
    with pytest.raises(ApiError) as err:
        builder.read("jobs", parse_query([("select", "id,materials(name)")]))
    assert err.value.code == "PGRST200"


def test_rpc_argument_values() -> None:
    assert sql_value(["a", 'b"c', None], "text[]") == '{"a","b\\"c",NULL}'
    assert sql_value({"k": [1]}, "jsonb") == '{"k": [1]}'
    assert sql_value(True, "boolean") == "true"
    assert sql_value(None, "uuid") is None


def test_missing_default_uses_column_defaults() -> None:
    builder = Builder(_schema())
    sql = builder.insert("jobs", parse_query([]), [{"status": "a"}, {"quantity": 2}],
                         representation=False, resolution=None, missing_default=True)
    assert "values (%s::text, default), (default, %s::integer)" in sql.text
    assert sql.params == ["a", "2"]
    plain = builder.insert("jobs", parse_query([]), [{"status": "a"}, {"quantity": 2}],
                           representation=False, resolution=None)
    assert "json_populate_recordset" in plain.text
