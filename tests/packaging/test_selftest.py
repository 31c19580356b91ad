"""`wyntek-desktop --self-test` from source: each check, the report and the exit status."""

from __future__ import annotations

import io
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
import trimesh
from keyring.backends import fail

from tests.support.isolation import REPO_ROOT
from wyntek_desktop.distribution import selftest

OPTIONS = selftest.Options()


def test_version_prints_the_version_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert selftest.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "wyntek-desktop 0.1.0"


def test_generated_stl_holds_separate_tetrahedra() -> None:
    mesh = trimesh.load(io.BytesIO(selftest.tetrahedra_stl(3)), file_type="stl", force="mesh")
    assert len(mesh.faces) == 12
    assert len(mesh.split(only_watertight=False)) == 3
    assert mesh.volume == pytest.approx(3 / 6)  # three unit-corner tetrahedra, outward faces


def test_generated_step_is_a_closed_cube_of_the_given_size() -> None:
    scene = trimesh.load(io.BytesIO(selftest.box_step(25.0)), file_type="step")
    mesh = scene.to_mesh()
    mesh.merge_vertices()
    assert mesh.is_watertight
    assert mesh.extents == pytest.approx([0.025] * 3)  # cascadio hands over metres
    assert mesh.volume == pytest.approx(0.025 ** 3, rel=1e-6)


def test_qt_and_opengl_checks_run_headless(qapp: object) -> None:
    options = selftest.Options()
    result = selftest.run_check("qt", selftest.check_qt, True, options)
    assert result.status == selftest.PASS, result.summary
    assert {"png", "svg"} <= set(result.details["image_formats"])
    assert options.qt_app is qapp  # the running application is reused, not replaced
    gl = selftest.run_check("opengl", selftest.check_opengl, False, options)
    # Offscreen without a display: reported, never a failure.
    assert gl.status in (selftest.PASS, selftest.WARN)
    assert "available" in gl.details


@pytest.mark.parametrize("name", ["native", "processes", "tls", "trimesh", "step", "pdf",
                                  "licences"])
def test_required_checks_pass_here(name: str) -> None:
    func = dict((n, f) for n, f, _ in selftest.CHECKS)[name]
    result = selftest.run_check(name, func, True, OPTIONS)
    assert result.status == selftest.PASS, result.summary


def test_keyring_check_passes_with_a_working_backend() -> None:
    result = selftest.run_check("keyring", selftest.check_keyring, True, OPTIONS)
    assert result.status == selftest.PASS, result.summary
    assert result.details["backend"].endswith("DirectoryKeyring")


def test_keyring_check_warns_memory_only_without_a_backend() -> None:
    keyring.set_keyring(fail.Keyring())
    result = selftest.run_check("keyring", selftest.check_keyring, True, OPTIONS)
    assert result.status == selftest.WARN
    assert "memory-only" in result.summary


def test_frozen_app_must_have_chosen_its_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND")
    # The stand-in backend is neither the platform's keyring nor "none": the hook did not run.
    result = selftest.run_check("keyring", selftest.check_keyring, True, OPTIONS)
    assert result.status == selftest.FAIL
    assert "runtime hook" in result.summary


def test_runtime_hook_picks_the_platform_keyring_or_none() -> None:
    hook = REPO_ROOT / "packaging" / "hooks" / "rthook_keyring.py"
    assert runpy.run_path(str(hook), run_name="probe")["_PLATFORM_KEYRINGS"] \
        == selftest.PLATFORM_KEYRINGS
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS")}
    code = (f"import runpy, keyring; runpy.run_path({str(hook)!r}); b = keyring.get_keyring(); "
            "print(type(b).__module__ + '.' + type(b).__name__)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    # No D-Bus session here: the Secret Service cannot work, so "no keyring" it is.
    assert out == selftest.NO_KEYRING


def test_a_failing_required_check_makes_the_run_fail(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    def broken(options: selftest.Options) -> dict[str, object]:
        raise ImportError("No module named 'cascadio._core'")

    checks = tuple((n, broken if n == "step" else f, r) for n, f, r in selftest.CHECKS)
    monkeypatch.setattr(selftest, "CHECKS", checks)
    skip = [arg for name in ("native", "processes", "qt", "opengl", "localstack", "trimesh")
            for arg in ("--skip", name)]
    assert selftest.main(["--self-test", "--json", *skip]) == 1
    report = json.loads(capsys.readouterr().out)
    step = next(c for c in report["checks"] if c["name"] == "step")
    assert report["passed"] is False
    assert step["status"] == "fail" and "cascadio._core" in step["summary"]


def test_full_self_test_from_source_passes(app_dirs: dict[str, Path]) -> None:
    """The whole self-test in a fresh process, local stack included (~10 s)."""
    proc = subprocess.run([sys.executable, "-m", "wyntek_desktop.distribution.selftest", "--json"],
                          capture_output=True, text=True, timeout=240, cwd=REPO_ROOT)
    report = json.loads(proc.stdout)
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert statuses["localstack"] == "pass"
    assert statuses["qt"] == statuses["step"] == statuses["trimesh"] == "pass"
    assert report["frozen"] is False


def test_licence_check_names_a_text_missing_from_the_bundle(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(REPO_ROOT / "packaging"))
    import build_support

    staged = build_support.stage_licences(tmp_path / "licenses")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert selftest.run_check("licences", selftest.check_licences, True,
                              OPTIONS).status == selftest.PASS
    (staged / "common" / "PostgreSQL.txt").unlink()
    result = selftest.run_check("licences", selftest.check_licences, True, OPTIONS)
    assert result.status == selftest.FAIL
    assert "PostgreSQL: common/PostgreSQL.txt" in result.summary
