"""The design checks need no scipy: every mesh sample is analysed in a fresh interpreter
in which importing scipy fails (the customer build may leave it out)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.design.meshes import SAMPLES

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = """
import json, sys
sys.modules["scipy"] = None  # any "import scipy..." now raises ImportError
from wyntek_desktop.design import analyze
out = {}
for name in sys.argv[1:]:
    mesh = analyze(name).mesh
    out[name] = [mesh.triangles, mesh.body_count, mesh.watertight]
print(json.dumps(out))
"""


def test_mesh_samples_analyse_without_scipy() -> None:
    names = [str(SAMPLES / n) for n in ("featuretype.STL", "counter.unitsmm.STL",
                                        "teapot.stl", "1002_tray_bottom.STL", "fandisk.obj",
                                        "octagonal_pocket.ply", "pins.glb")]
    done = subprocess.run([sys.executable, "-c", _SCRIPT, *names], cwd=ROOT, check=True,
                          capture_output=True, text=True, timeout=300)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result[names[1]] == [83750, 6, True]
    assert result[names[2]] == [894, 4, False]
    assert result[names[6]] == [3408, 7, True]
