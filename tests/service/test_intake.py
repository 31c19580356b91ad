"""The service worker on the real local stack (it runs with every `serve`): honest jobs pass
at their price, under-declared ones are charged what was measured, changed or hostile
files fail their job and are refunded, and a live job's files are frozen."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.design.meshes import cube, write_binary_stl
from tests.service.support import Customer, cube_stl, new_customer, wait_verified
from tests.support.samples import SAMPLES
from wyntek_desktop.core.models import Material
from wyntek_desktop.core.pricing import quote
from wyntek_desktop.design import analyze
from wyntek_desktop.design.estimate import board_measurements, job_volume_cm3

SAMPLE_FILES = ["plate_holes.STL", "counter.unitsmm.STL", "busted.STL", "1002_tray_bottom.STL",
                "fandisk.obj", "octagonal_pocket.ply", "shell.prusa-slicer-project.3mf",
                "pins.glb", "featuretype.STEP", "featuretype.STL", "esp-rgb-driver-gerbers.zip",
                "eagle9-dallamcsengo-gerbers.zip"]


def materials(customer: Customer) -> dict[str, Material]:
    with customer.http() as http:
        rows = http.get(f"{customer.stack.url}/rest/v1/materials", params={"select": "*"}).json()
    return {r["id"]: Material.from_row(r) for r in rows}


def assert_books_balance(customer: Customer) -> None:
    assert customer.balance() == sum(line["delta"] for line in customer.ledger())


def test_honest_jobs_pass_at_the_desktop_estimate(localstack, tmp_path: Path) -> None:
    """Every sample the desktop would submit, priced on the desktop and by the worker."""
    customer = new_customer(localstack, 1_000_000)
    catalogue = materials(customer)
    estimates = {}
    for name in SAMPLE_FILES:
        report = analyze(SAMPLES / name)
        assert not report.blocking, (name, report.errors())
        gerber = report.kind == "gerber"
        material = catalogue["pcb-fr4-4l" if gerber else "cnc-al-6061"]
        volume = job_volume_cm3([report])
        area, layers = board_measurements([report])
        estimate = quote(material, volume, 1, "0.2", area, layers)
        extra = {"board_area_cm2": area, "copper_layers": layers} if gerber else {}
        if gerber:  # the desktop's quote over the API takes the board too
            r = customer.rpc("quote_job", {"material_id": material.id, "volume_cm3": volume,
                                           "quantity": 1, "tolerance_mm": 0.2, **extra})
            assert r.status_code == 200 and r.json() == estimate, r.text
        job = customer.submit({name: (SAMPLES / name).read_bytes()}, material=material.id,
                              volume_cm3=volume, **extra)
        assert job["token_cost"] == estimate, name
        estimates[job["id"]] = (name, estimate)
    # a generated part with a drawing beside it
    data = cube_stl(tmp_path, 37.5)
    job = customer.submit({"block.stl": data, "drawing.pdf": (SAMPLES / "underlay.pdf")
                           .read_bytes()}, material="fdm-pla", volume_cm3=52.734375)
    estimates[job["id"]] = ("block.stl", job["token_cost"])

    done = wait_verified(localstack, list(estimates), timeout=240)
    for job_id, (name, estimate) in estimates.items():
        row = done[job_id]
        assert (row["verification"], row["token_cost"]) == ("passed", estimate), (name, row)
        assert row["verified_at"] and row["verification_note"].startswith("Verified")
    boards = [done[j] for j, (n, _) in estimates.items() if n.endswith(".zip")]
    assert all(b["verified_board_area_cm2"] > 1 and b["verified_copper_layers"] for b in boards)
    assert_books_balance(customer)


def test_under_declared_volume_is_charged_or_waits_for_tokens(localstack, tmp_path) -> None:
    data = cube_stl(tmp_path, 100.0)  # 1000 cm3 of stainless steel
    rich, poor = new_customer(localstack, 60_000), new_customer(localstack, 1_000)
    charged = rich.submit({"block.stl": data}, material="cnc-steel-1.4301", volume_cm3=0)
    waiting = poor.submit({"block.stl": data}, material="cnc-steel-1.4301", volume_cm3=0)
    assert charged["token_cost"] == waiting["token_cost"] == 606  # what the claim costs
    done = wait_verified(localstack, [charged["id"], waiting["id"]])

    row = done[charged["id"]]
    assert (row["verification"], row["quoted_cost"], row["token_cost"]) == \
        ("adjusted", 606, 52_600)
    assert "52600 tokens, not 606" in row["verification_note"]
    assert [(x["reason"], x["delta"]) for x in rich.ledger(charged["id"])] == \
        [("job", -606), ("adjustment", -51_994)]
    assert rich.balance() == 60_000 - 52_600

    row = done[waiting["id"]]
    assert row["verification"] == "needs_tokens" and row["token_cost"] == 52_600
    assert "Add 51600 tokens" in row["verification_note"]
    assert poor.balance() == 1_000 - 606
    r = poor.rpc("confirm_job_price", {"job_id": waiting["id"]})
    assert r.status_code == 402 and "Insufficient balance" in r.json()["message"]
    r = poor.rpc("cancel_job", {"job_id": waiting["id"]})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert poor.balance() == 1_000
    assert_books_balance(rich)
    assert_books_balance(poor)


def test_a_declared_hash_that_differs_fails_and_refunds(localstack, tmp_path) -> None:
    customer = new_customer(localstack, 500)
    job = customer.submit({"cube.stl": cube_stl(tmp_path)},
                          sha_override={"cube.stl": hashlib.sha256(b"other").hexdigest()})
    row = wait_verified(localstack, [job["id"]])[job["id"]]
    assert (row["status"], row["verification"]) == ("rejected", "failed")
    assert row["verification_note"] == ("cube.stl changed after it was priced: its SHA-256 "
                                        "differs from the declared one.")
    assert customer.balance() == 500
    assert [x["reason"] for x in customer.ledger(job["id"])] == ["job", "refund"]
    with customer.http() as http:
        events = http.get(f"{localstack.url}/rest/v1/job_events",
                          params={"job_id": f"eq.{job['id']}", "order": "id",
                                  "select": "status,verification,actor,note"}).json()
    assert [(e["status"], e["verification"], e["actor"]) for e in events] == [
        ("submitted", None, "customer"), ("rejected", "failed", "service")]


def test_a_live_jobs_files_cannot_be_overwritten_or_deleted(localstack, tmp_path) -> None:
    customer = new_customer(localstack, 500)
    data = cube_stl(tmp_path)
    job = customer.submit({"cube.stl": data})
    path = f"{customer.uid}/{job['client_job_id']}/cube.stl"
    url = f"{localstack.url}/storage/v1/object/designs/{path}"
    with customer.http() as http:
        upsert = http.post(url, content=b"replaced", headers={"x-upsert": "true"})
        put = http.put(url, content=b"replaced")
        delete = http.delete(url)
        bulk = http.request("DELETE", f"{localstack.url}/storage/v1/object/designs",
                            json={"prefixes": [path]})
        stored = http.get(url).content
    assert [upsert.status_code, put.status_code, delete.status_code] == [400, 400, 400]
    assert all(r.json()["statusCode"] == "403" for r in (upsert, put, delete))
    assert bulk.status_code == 200 and bulk.json() == []
    assert stored == data
    assert wait_verified(localstack, [job["id"]])[job["id"]]["verification"] == "passed"


def _hostile_files(tmp: Path) -> dict[str, bytes]:
    rng = np.random.default_rng(11)
    files = {f"noise{s}": rng.bytes(50_000) for s in
             (".stl", ".obj", ".ply", ".off", ".3mf", ".glb", ".gltf", ".step", ".zip", ".pdf")}
    files["liar.stl"] = b"\0" * 80 + struct.pack("<I", 0xFFFFFFFF) + b"\0" * 500
    nan = cube(10)
    nan[3, 1, 2] = np.nan
    files["nan.stl"] = write_binary_stl(tmp / "nan.stl", nan).read_bytes()
    files["open.stl"] = (SAMPLES / "teapot.stl").read_bytes()  # not watertight: no volume
    data = (SAMPLES / "plate_holes.STL").read_bytes()
    files["truncated.stl"] = data[: len(data) // 2]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("3D/3dmodel.model", b"\0" * 300_000_000)
    files["bomb.3mf"] = bomb.getvalue()
    laughs = io.BytesIO()
    entities = "".join(f'<!ENTITY l{i} "&l{i - 1};&l{i - 1};&l{i - 1};&l{i - 1};">'
                       for i in range(1, 12))
    with zipfile.ZipFile(laughs, "w") as z:
        z.writestr("3D/3dmodel.model", f'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY l0 "lol">'
                                       f'{entities}]><model>&l11;</model>')
    files["laughs.3mf"] = laughs.getvalue()
    return files


@pytest.mark.timeout(600)
def test_every_hostile_file_fails_its_job_and_the_worker_keeps_serving(localstack,
                                                                        tmp_path) -> None:
    customer = new_customer(localstack, 10_000)
    hostile = _hostile_files(tmp_path)
    jobs = {customer.submit({name: data})["id"]: name for name, data in hostile.items()}
    done = wait_verified(localstack, list(jobs), timeout=400)
    for job_id, name in jobs.items():
        row = done[job_id]
        assert (row["status"], row["verification"]) == ("rejected", "failed"), (name, row)
        note = row["verification_note"]
        assert name in note and note.rstrip().endswith((".", "?")) and "\n" not in note, note
    honest = customer.submit({"after.stl": cube_stl(tmp_path)})
    assert wait_verified(localstack, [honest["id"]])[honest["id"]]["verification"] == "passed"
    assert customer.balance() == 10_000 - honest["token_cost"]
    assert_books_balance(customer)
