"""PCB options in a submitted job: submit_job charges quote_job with them, the worker's
outcome (record_verification) prices the measured board with the same options, and
unusable options are refused before anything is debited."""

from __future__ import annotations

import psycopg
import pytest

from tests.localstack.dbworld import (
    SERVICE,
    balance,
    call,
    grant,
    ledger_sum,
    spec,
    upload_and_submit,
)
from wyntek_desktop.core.pricing import quote


def board_spec(**options):
    return spec("pcb-fr4-2l", quantity=5, volume_cm3=0, board_area_cm2=21.12, copper_layers=2,
                finish="ENIG", **options)


def verify(pg, job, volume_cm3, board_area_cm2, copper_layers):
    """The worker's outcome for a board, as wyntek_service.verify records it."""
    return call(pg, SERVICE, "select public.record_verification(%s, %s::numeric, "
                "%s::numeric, %s::int, null)",
                (job["id"], volume_cm3, board_area_cm2, copper_layers))[0][0]


def material(pg, material_id):
    from tests.localstack.test_pricing_parity import Mat
    with pg.transaction():
        row = pg.execute("select id, tokens_per_cm3, setup_tokens, active, process, "
                         "copper_layers from public.materials where id = %s",
                         (material_id,)).fetchone()
    return Mat(*row)


def test_submitted_board_is_charged_with_its_options_and_verified_with_them(pg, make_actor):
    owner = make_actor("boards")
    grant(pg, owner.uid, 5000)
    two = material(pg, "pcb-fr4-2l")
    job = upload_and_submit(pg, owner, job_spec=board_spec(board_layers=2,
                                                           board_thickness_mm=0.8))
    expected = quote(two, 0, 5, "0.2", "21.12", 2, 2, "0.8", "ENIG")
    assert job["token_cost"] == expected
    assert expected > quote(two, 0, 5, "0.2", "21.12", 2)  # the options cost more
    done = verify(pg, job, volume_cm3=0, board_area_cm2=21.12, copper_layers=2)
    assert done["verification"] == "passed" and done["token_cost"] == expected
    # a larger board than declared: the measured board is priced with the same options
    bigger = upload_and_submit(pg, owner, job_spec=board_spec(board_thickness_mm=2.0))
    settled = verify(pg, bigger, volume_cm3=0, board_area_cm2=30, copper_layers=2)
    assert settled["verification"] == "adjusted"
    assert settled["token_cost"] == quote(two, 0, 5, "0.2", "30", 2, None, "2.0", "ENIG")
    assert balance(pg, owner.uid) == 5000 - done["token_cost"] - settled["token_cost"] \
        == ledger_sum(pg, owner.uid)


@pytest.mark.parametrize(("options", "fragment"), [
    ({"board_layers": 3}, "1 layer or an even number"),
    ({"board_layers": 1}, "at least 2 layers"),
    ({"board_layers": 4}, "up to 2 layers"),
    ({"board_thickness_mm": 1.5}, "board thickness must be one of"),
    ({"board_layers": "two"}, "must be numbers"),
    ({"board_layers": 2.5}, "whole number"),
    ({"finish": "Anodised"}, "not a finish offered for boards"),
])
def test_unusable_options_are_refused_and_nothing_is_debited(pg, make_actor, options,
                                                              fragment):
    owner = make_actor("refused-board")
    grant(pg, owner.uid, 5000)
    with pytest.raises(psycopg.Error) as err:
        upload_and_submit(pg, owner, job_spec={**board_spec(), **options})
    assert err.value.sqlstate == "22023" and fragment in str(err.value)
    assert balance(pg, owner.uid) == 5000 == ledger_sum(pg, owner.uid)


def test_unknown_spec_keys_still_refused(pg, make_actor):
    owner = make_actor("typo-board")
    grant(pg, owner.uid, 5000)
    with pytest.raises(psycopg.Error) as err:
        upload_and_submit(pg, owner, job_spec={**board_spec(), "board_layer": 2})
    assert "board_layers and board_thickness_mm" in str(err.value)
    rows = call(pg, owner, "select count(*) from public.jobs")
    assert rows[0][0] == 0


def test_a_reorder_keeps_the_board_options_and_is_verified_at_its_price(pg, make_actor):
    import uuid

    owner = make_actor("reorders-boards")
    grant(pg, owner.uid, 5000)
    two = material(pg, "pcb-fr4-2l")
    job = upload_and_submit(pg, owner, job_spec=board_spec(board_layers=2,
                                                           board_thickness_mm=0.8))
    verify(pg, job, 0, 21.12, 2)
    for status in ("reviewing", "in_production", "shipped", "completed"):
        call(pg, SERVICE, "update public.jobs set status = %s where id = %s",
             (status, job["id"]))
    again = call(pg, owner, "select public.reorder_job(%s, %s, %s::jsonb)",
                 (job["id"], str(uuid.uuid4()), '{"quantity": 2, "finish": "Hard gold"}'))[0][0]
    assert again["spec"]["board_layers"] == 2 and again["spec"]["board_thickness_mm"] == 0.8
    expected = quote(two, 0, 2, "0.2", "21.12", 2, 2, "0.8", "Hard gold")
    assert again["token_cost"] == expected
    done = verify(pg, again, 0, 21.12, 2)
    assert done["verification"] == "passed" and done["token_cost"] == expected


def test_the_desktop_breakdown_total_is_what_submit_job_charges(pg, make_actor):
    """The Prepare page's estimate of the real sample board and part, with options, is
    the token_cost submit_job debits for the spec the page sends."""
    from dataclasses import dataclass
    from typing import Any

    from tests.support.samples import SAMPLES
    from wyntek_desktop.core.models import Material
    from wyntek_desktop.core.pricing import board_measurements
    from wyntek_desktop.design.tasks import analyze
    from wyntek_desktop.ui.estimate import job_estimate

    @dataclass
    class Opened:
        name: str
        kind: str
        report: Any
        error: str | None = None
        known: bool = True

    with pg.transaction():
        rows = pg.execute("select to_jsonb(m) from public.materials m where id in "
                          "('pcb-fr4-4l', 'fdm-pla')").fetchall()
    catalogue = {r[0]["id"]: Material.from_row(r[0]) for r in rows}
    owner = make_actor("estimates")
    grant(pg, owner.uid, 100_000)

    board = catalogue["pcb-fr4-4l"]
    path = SAMPLES / "esp-rgb-driver-gerbers.zip"
    files = [Opened(path.name, "gerber", analyze(None, path, board))]
    estimate = job_estimate(files, board, 4, 0.1, 2, 1.2, "Immersion silver")
    assert estimate.lines[-1].tokens == f"{estimate.tokens:,}"
    area, layers = board_measurements(f.report for f in files)
    job = upload_and_submit(pg, owner, job_spec=spec(
        "pcb-fr4-4l", quantity=4, tolerance_mm=0.1, volume_cm3=0, board_area_cm2=area,
        copper_layers=layers, board_layers=2, board_thickness_mm=1.2,
        finish="Immersion silver"))
    assert job["token_cost"] == estimate.tokens

    pla = catalogue["fdm-pla"]
    part = SAMPLES / "counter.unitsmm.STL"
    files = [Opened(part.name, "model", analyze(None, part, pla))]
    estimate = job_estimate(files, pla, 7, 0.05)
    job = upload_and_submit(pg, owner, job_spec=spec(
        "fdm-pla", quantity=7, tolerance_mm=0.05,
        volume_cm3=round(files[0].report.volume_cm3, 6), finish="Sanded"))
    assert job["token_cost"] == estimate.tokens
