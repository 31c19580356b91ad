"""`!inner` embeds: only rows that have a related row (visible to the caller) are kept."""

from __future__ import annotations

from tests.localstack.helpers import signed_in_client
from tests.support.localstack import LocalStackInstance
from wyntek_localstack.postgrest.grammar import parse_query
from wyntek_localstack.postgrest.schema import Column, ForeignKey, Schema, Table
from wyntek_localstack.postgrest.sqlgen import Builder


def _get(stack: LocalStackInstance, token: str, query: str) -> list[dict[str, object]]:
    with stack.http() as http:
        r = http.get(f"{stack.url}/rest/v1/profiles?{query}",
                     headers={"apikey": stack.anon_key, "Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    rows: list[dict[str, object]] = r.json()
    return rows


def test_inner_embed_drops_rows_without_related_rows(localstack: LocalStackInstance) -> None:
    _, uid, token = signed_in_client(localstack)  # a new user: a profile, no jobs yet
    left = _get(localstack, token, "select=id,jobs(id)")
    assert left == [{"id": uid, "jobs": []}]
    assert _get(localstack, token, "select=id,jobs!inner(id)") == []
    assert _get(localstack, token, "select=id,mine:jobs!inner(id)") == []


def _schema() -> Schema:
    def table(name: str, *cols: str) -> Table:
        return Table(name, {c: Column(c, "text") for c in cols}, ("id",))
    return Schema(
        {"parents": table("parents", "id"), "kids": table("kids", "id", "parent_id"),
         "toys": table("toys", "id", "kid_id")},
        [ForeignKey("kids_parent_fk", "kids", ("parent_id",), "parents", ("id",)),
         ForeignKey("toys_kid_fk", "toys", ("kid_id",), "kids", ("id",))], {})


def test_nested_inner_embeds_become_exists_conditions() -> None:
    builder = Builder(_schema())
    query = parse_query([("select", "id,kids!inner(id,toys!inner(id))")])
    rows, count = builder.read("parents", query)
    assert rows.text.count("exists (select 1 from") == 3  # parents: kids(toys); kids: toys
    assert "exists" in count.text
    plain, _ = builder.read("parents", parse_query([("select", "id,kids(id,toys(id))")]))
    assert "exists" not in plain.text
