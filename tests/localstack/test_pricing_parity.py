"""The Python pricing mirror equals SQL quote_job for every seeded material."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

import psycopg
import pytest

from tests.localstack.dbworld import call, user_actor
from wyntek_desktop.core.errors import ValidationError
from wyntek_desktop.core.pricing import quote

VOLUMES = ["0", "0.01", "0.05", "0.1", "0.1000001", "1", "7.25", "12.345678", "99.99", "1000"]
QUANTITIES = [1, 2, 3, 7, 100, 9999, 10000]
TOLERANCES = ["0.01", "0.049", "0.05", "0.0999", "0.1", "0.15", "0.1999", "0.2", "0.2001", "5"]


@dataclass
class Mat:
    id: str
    tokens_per_cm3: Decimal
    setup_tokens: int
    active: bool
    process: str
    copper_layers: int | None


def sql_quotes(pg, rows):
    """quote_job for many (material, volume, quantity, tolerance) rows in one statement."""
    actor = user_actor("pricer", "00000000-0000-0000-0000-000000000001", "p@example.test")
    result = call(pg, actor, """
        select q.m, q.v, q.n, q.t, public.quote_job(q.m, q.v::numeric, q.n, q.t::numeric)
          from unnest(%s::text[], %s::text[], %s::int[], %s::text[]) as q(m, v, n, t)""",
        ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
         [r[3] for r in rows]), rollback=True)
    return {(m, v, n, t): cost for m, v, n, t, cost in result}


@pytest.fixture
def materials(pg):
    with pg.transaction():
        found = pg.execute("select id, tokens_per_cm3, setup_tokens, active, process, "
                           "copper_layers from public.materials order by id").fetchall()
    return [Mat(*row) for row in found]


def test_seed_has_the_required_catalogue(materials):
    ids = {m.id for m in materials}
    assert {"fdm-pla", "fdm-petg", "fdm-abs", "sla-standard-grey", "sls-pa12", "mjf-pa12",
            "cnc-al-6061", "pcb-fr4-2l"} <= ids
    assert any(m.id.startswith("cnc-steel") for m in materials)


def test_grid_matches_for_every_active_material(pg, materials):
    active = [m for m in materials if m.active]
    rows = [(m.id, v, n, t) for m in active for v in VOLUMES for n in QUANTITIES
            for t in TOLERANCES]
    in_sql = sql_quotes(pg, rows)
    by_id = {m.id: m for m in active}
    mismatches = [(r, in_sql[r], quote(by_id[r[0]], r[1], r[2], r[3])) for r in rows
                  if in_sql[r] != quote(by_id[r[0]], r[1], r[2], r[3])]
    assert len(in_sql) == len(rows) > 5000
    assert mismatches == []


def test_random_inputs_match(pg, materials):
    rng = random.Random(20261127)
    active = [m for m in materials if m.active]
    rows = set()
    while len(rows) < 2000:
        m = rng.choice(active)
        volume = f"{rng.uniform(0, 500):.{rng.randint(0, 7)}f}"
        tolerance = f"{rng.uniform(0.01, 5):.{rng.randint(2, 6)}f}"
        tolerance = str(max(Decimal(tolerance), Decimal("0.01")))
        rows.add((m.id, volume, rng.randint(1, 10000), tolerance))
    in_sql = sql_quotes(pg, sorted(rows))
    by_id = {m.id: m for m in active}
    assert all(in_sql[r] == quote(by_id[r[0]], r[1], r[2], r[3]) for r in rows)


@pytest.mark.parametrize(("volume", "quantity", "tolerance"), [
    ("1", 0, "0.2"), ("1", 10001, "0.2"), ("1", 1, "0.0099"), ("1", 1, "5.0001"),
    ("-0.5", 1, "0.2"), ("10000000.5", 1, "0.2"), ("10000000", 10000, "0.01"),
])
def test_both_sides_refuse_the_same_inputs(pg, materials, volume, quantity, tolerance):
    cnc = next(m for m in materials if m.id == "cnc-al-6061")
    with pytest.raises(ValidationError):
        quote(cnc, volume, quantity, tolerance)
    with pytest.raises(psycopg.Error) as err:
        sql_quotes(pg, [(cnc.id, volume, quantity, tolerance)])
    assert err.value.sqlstate == "22023"


def test_inactive_material_is_refused_on_both_sides(pg, materials):
    inactive = [m for m in materials if not m.active]
    assert inactive, "the seed should list at least one retired material"
    with pytest.raises(ValidationError):
        quote(inactive[0], "1", 1, "0.2")
    with pytest.raises(psycopg.Error) as err:
        sql_quotes(pg, [(inactive[0].id, "1", 1, "0.2")])
    assert err.value.sqlstate == "22023"


def test_pcb_boards_are_priced_by_area_and_layers_in_both(pg, materials):
    pcbs = [m for m in materials if m.active and m.process == "pcb"]
    assert {m.copper_layers for m in pcbs} >= {2, 4}
    rows = [(m.id, area, layers, n, t) for m in pcbs
            for area in ["0", "0.5", "1", "21.12", "100.004", "999"]
            for layers in [None, 1, 2, 4] for n in (1, 3, 100) for t in ("0.05", "0.2")]
    actor = user_actor("pricer", "00000000-0000-0000-0000-000000000001", "p@example.test")
    by_id = {m.id: m for m in pcbs}
    for material_id, area, layers, n, t in rows:
        try:
            expected: int | str = quote(by_id[material_id], "0", n, t, area, layers)
        except ValidationError as exc:
            expected = "refused" if "copper layers" in str(exc) else str(exc)
        try:
            got: int | str = call(
                pg, actor, "select public.quote_job(%s, 0, %s, %s::numeric, %s::numeric, %s)",
                (material_id, n, t, area, layers), rollback=True)[0][0]
        except psycopg.Error as exc:
            refused = exc.sqlstate == "22023" and "copper layers" in str(exc)
            got = "refused" if refused else str(exc)
        assert got == expected, (material_id, area, layers, n, t)
    # A 66 x 32 mm two-layer board: 21.12 cm2 at 12 tokens/cm2 plus 150 setup.
    assert quote(by_id["pcb-fr4-2l"], 0, 1, "0.2", "21.12", 2) == 150 + 254
    # Volume plays no part for a board, and a 4-layer board does not fit a 2-layer material.
    assert quote(by_id["pcb-fr4-2l"], 500, 1, "0.2", "21.12", 2) == 404
    with pytest.raises(ValidationError, match="4 copper layers"):
        quote(by_id["pcb-fr4-2l"], 0, 1, "0.2", "21.12", 4)


BOARD_OPTIONS = [
    # (board_layers, board_thickness_mm, finish)
    (None, None, None), (1, None, None), (2, "1.6", "HASL (lead-free)"), (4, "0.8", "ENIG"),
    (2, "2.0", "Hard gold"), (None, "1.0", "Immersion silver"), (4, "1.2", "OSP"),
    (None, None, " ENIG "), (2, "1.60", None), (None, None, ""),
    # refused on both sides
    (3, None, None), (6, None, None), (0, None, None), (1, "1.5", None),
    (None, None, "Anodised"), (None, None, "enig"),
]


def _sql_board_quote(pg, actor, material_id, area, layers, n, t, options):
    board_layers, thickness, finish = options
    try:
        return call(pg, actor,
                    "select public.quote_job(%s, 0, %s, %s::numeric, %s::numeric, %s, "
                    "%s::int, %s::numeric, %s)",
                    (material_id, n, t, area, layers, board_layers, thickness, finish),
                    rollback=True)[0][0]
    except psycopg.Error as exc:
        assert exc.sqlstate == "22023", exc
        return "refused: " + str(exc).splitlines()[0]


def test_board_options_are_priced_and_refused_the_same_in_both(pg, materials):
    pcbs = [m for m in materials if m.active and m.process == "pcb"]
    others = [m for m in materials if m.active and m.process != "pcb"][:2]
    actor = user_actor("pricer", "00000000-0000-0000-0000-000000000001", "p@example.test")
    checked = priced = 0
    for m in pcbs + others:
        for area in ("0.5", "21.12", "100.004"):
            for layers in (None, 1, 2, 4):
                for options in BOARD_OPTIONS:
                    for n, t in ((1, "0.2"), (7, "0.05")):
                        try:
                            expected: int | str = quote(m, "0", n, t, area, layers, *options)
                        except ValidationError as exc:
                            expected = "refused: " + str(exc)
                        got = _sql_board_quote(pg, actor, m.id, area, layers, n, t, options)
                        assert got == expected, (m.id, area, layers, options, n, t)
                        checked += 1
                        priced += isinstance(got, int)
    assert checked > 1000 and 0 < priced < checked  # both outcomes are exercised


def test_board_options_change_the_price_as_documented(materials):
    two = next(m for m in materials if m.id == "pcb-fr4-2l")   # 12 tokens/cm2 + 150
    four = next(m for m in materials if m.id == "pcb-fr4-4l")
    base = quote(two, 0, 1, "0.2", "21.12", 2)
    assert base == quote(two, 0, 1, "0.2", "21.12", 2, 2, "1.6", "HASL (lead-free)") == 404
    # ENIG x1.20 on 253.44 tokens of board: ceil(304.128) = 305
    assert quote(two, 0, 1, "0.2", "21.12", 2, None, None, "ENIG") == 150 + 305
    # 0.8 mm x1.10 and hard gold x1.60: ceil(253.44 * 1.76) = ceil(446.0544)
    assert quote(two, 0, 1, "0.2", "21.12", 2, 2, "0.8", "Hard gold") == 150 + 447
    # a two-layer board on the four-layer material costs x0.85 of its four-layer price
    full = quote(four, 0, 10, "0.2", "21.12", 2, 4) - four.setup_tokens
    fewer = quote(four, 0, 10, "0.2", "21.12", 2, 2) - four.setup_tokens
    assert fewer == math.ceil(Decimal(full) * Decimal("0.85"))
    with pytest.raises(ValidationError, match="at least 2 layers"):
        quote(four, 0, 1, "0.2", "21.12", 2, 1)
    # other processes ignore the board options
    pla = next(m for m in materials if m.id == "fdm-pla")
    assert quote(pla, 5, 1, "0.2", None, None, 4, "0.8", "Anodised") == quote(pla, 5, 1, "0.2")


def test_every_earlier_call_form_still_works(pg, materials):
    actor = user_actor("pricer", "00000000-0000-0000-0000-000000000001", "p@example.test")
    four = call(pg, actor, "select public.quote_job('pcb-fr4-2l', 0, 1, 0.2)", rollback=True)
    six = call(pg, actor, "select public.quote_job('pcb-fr4-2l', 0, 1, 0.2, 21.12, 2)",
               rollback=True)
    named = call(pg, actor, "select public.quote_job(material_id => 'pcb-fr4-2l', "
                 "volume_cm3 => 0, quantity => 1, tolerance_mm => 0.2, "
                 "board_area_cm2 => 21.12, surface_finish => 'ENIG')", rollback=True)
    two = next(m for m in materials if m.id == "pcb-fr4-2l")
    assert four[0][0] == quote(two, 0, 1, "0.2")
    assert six[0][0] == 404
    assert named[0][0] == quote(two, 0, 1, "0.2", "21.12", None, None, None, "ENIG") == 455
