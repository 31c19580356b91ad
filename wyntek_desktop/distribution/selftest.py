"""`wyntek-desktop --self-test` and `--version`: check the app's moving parts without a window.

Run in the frozen app (and from source) to prove that what the bundle needs at run time
is there: the compiled modules, helper processes, Qt and its plugins, OpenGL (reported,
not required), the OS keyring backend (a missing one is a warning: sessions are then
memory-only), TLS certificates, trimesh's loaders including STEP through cascadio, and
the embedded local stack.

    wyntek-desktop --self-test [--json] [--skip NAME ...] [--platform offscreen]

Exit status 0 when every required check passes, 1 otherwise. The GUI entry point routes
here before it imports QtWidgets, so nothing in this module may need a display.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wyntek_desktop.distribution import about, edition

PASS, WARN, FAIL, SKIP = "pass", "warn", "fail", "skip"

# The OS keyring backend the frozen app uses on each platform. PyInstaller breaks
# keyring's entry-point discovery, so the runtime hook names the backend explicitly.
PLATFORM_KEYRINGS = {
    "linux": "keyring.backends.SecretService.Keyring",
    "win32": "keyring.backends.Windows.WinVaultKeyring",
    "darwin": "keyring.backends.macOS.Keyring",
}
MEMORY_ONLY = "sessions will be memory-only"
NO_KEYRING = "keyring.backends.fail.Keyring"


@dataclass
class CheckResult:
    name: str
    status: str
    summary: str
    required: bool
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Options:
    platform: str = "offscreen"
    timeout: float = 60.0
    skip: frozenset[str] = frozenset()
    # The QGuiApplication the Qt check found or made; the OpenGL check needs it.
    qt_app: Any = None


class CheckFailed(Exception):
    """A required check found a problem; the message says which."""


class CheckWarning(Exception):
    """Something is missing that the app can live without; the message says what."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


# --- keyring policy for the frozen app (applied by packaging/hooks/rthook_keyring.py) ---

def platform_keyring_name(platform: str = sys.platform) -> str | None:
    """The OS keyring backend the frozen app names explicitly on `platform`."""
    key = "linux" if platform.startswith("linux") else platform
    return PLATFORM_KEYRINGS.get(key)


def _qualified(obj: object) -> str:
    return f"{type(obj).__module__}.{type(obj).__name__}"


# --- the checks -----------------------------------------------------------------------

def check_qt(options: Options) -> dict[str, Any]:
    from PySide6 import QtCore, QtGui, QtOpenGL, QtOpenGLWidgets, QtWidgets  # noqa: F401

    app: Any = QtGui.QGuiApplication.instance()
    if app is None:
        app = QtGui.QGuiApplication(["wyntek-desktop", "-platform", options.platform])
    options.qt_app = app
    formats = sorted(bytes(f.data()).decode() for f in QtGui.QImageReader.supportedImageFormats())
    missing = [fmt for fmt in ("png", "svg") if fmt not in formats]
    if missing:
        raise CheckFailed(f"Qt cannot read {', '.join(missing)} images (image format plugins "
                          "missing)")
    app_icon = about.resources_folder() / "icons" / "app.svg"
    if app_icon.is_file() and QtGui.QIcon(str(app_icon)).pixmap(64, 64).isNull():
        raise CheckFailed(f"the SVG icon engine cannot draw {app_icon.name}")
    return {"summary": f"Qt {QtCore.qVersion()}, platform {app.platformName()}, "
                       f"{len(formats)} image formats",
            "qt": QtCore.qVersion(), "pyside6": _pyside_version(),
            "platform": app.platformName(), "image_formats": formats}


def _pyside_version() -> str:
    import PySide6

    return str(PySide6.__version__)


# Compiled modules the app cannot work without (a broken or missing one shows up here
# first): arrays, STEP, 3MF/XML, the outbox, TLS, the API models, the keyring's crypto.
NATIVE_MODULES = (
    "numpy._core._multiarray_umath", "cascadio._core", "lxml.etree", "_sqlite3", "_ssl",
    "pydantic_core._pydantic_core", "cryptography.hazmat.bindings._rust",
)
# The embedded local stack's own (bundled in the demo edition only).
LOCAL_STACK_NATIVE_MODULES = ("psycopg_binary.pq", "bcrypt._bcrypt")


def local_stack_expected() -> bool:
    """From source, and in the demo edition, the local stack is there and must work."""
    current = edition.current()
    return current is None or current.local_stack


def native_modules() -> tuple[str, ...]:
    return NATIVE_MODULES + (LOCAL_STACK_NATIVE_MODULES if local_stack_expected() else ())


def check_native(options: Options) -> dict[str, Any]:
    import importlib

    modules = native_modules()
    if "psycopg_binary.pq" in modules:
        importlib.import_module("psycopg")  # psycopg_binary refuses to load before it
    broken = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:
            last_line = (str(exc).strip().splitlines() or [""])[-1][:160]
            broken.append(f"{name} ({type(exc).__name__}: {last_line})")
    if broken:
        raise CheckFailed("cannot load " + "; ".join(broken))
    return {"summary": f"{len(modules)} compiled modules load", "modules": list(modules)}


def check_processes(options: Options) -> dict[str, Any]:
    """The window runs analysis in `spawn`-ed helper processes: start one and get an answer.

    Frozen, the child is the app's own executable, routed by `freeze_support()`.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    started = time.perf_counter()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pid, frozen = pool.submit(_child_probe).result(timeout=options.timeout)
    if pid == os.getpid():
        raise CheckFailed("the helper ran in the app's own process")
    seconds = time.perf_counter() - started
    return {"summary": f"a spawned helper process answered in {seconds:.1f} s",
            "child_frozen": frozen, "seconds": round(seconds, 2)}


def _child_probe() -> tuple[int, bool]:
    return os.getpid(), about.is_frozen()


def check_opengl(options: Options) -> dict[str, Any]:
    if options.qt_app is None:
        raise CheckWarning("not checked: Qt did not start")
    from PySide6.QtGui import QOffscreenSurface, QOpenGLContext, QSurfaceFormat

    wanted = QSurfaceFormat()
    wanted.setVersion(3, 3)
    wanted.setProfile(QSurfaceFormat.OpenGLContextProfile.CoreProfile)
    context = QOpenGLContext()
    context.setFormat(wanted)
    if not context.create():
        platform = options.qt_app.platformName()
        raise CheckWarning(f"unavailable on platform '{platform}': the 3D view shows "
                           "thumbnails instead", available=False)
    surface = QOffscreenSurface()
    surface.setFormat(context.format())
    surface.create()
    try:
        if not context.makeCurrent(surface):
            raise CheckWarning("a context was created but cannot be made current",
                               available=False)
        funcs = context.functions()
        version = str(funcs.glGetString(0x1F02))  # GL_VERSION
        renderer = str(funcs.glGetString(0x1F01))  # GL_RENDERER
        context.doneCurrent()
    finally:
        surface.destroy()
    fmt = context.format()
    got = (fmt.majorVersion(), fmt.minorVersion())
    details = {"available": True, "version": version, "renderer": renderer,
               "context": f"{got[0]}.{got[1]}"}
    if got < (3, 3):
        raise CheckWarning(f"OpenGL {got[0]}.{got[1]} only ({renderer}); the 3D view needs 3.3",
                           **details)
    return {"summary": f"OpenGL {version} ({renderer})", **details}


def check_keyring(options: Options) -> dict[str, Any]:
    import keyring

    backend = _qualified(keyring.get_keyring())
    frozen = about.is_frozen()
    expected = platform_keyring_name()
    named = os.environ.get("PYTHON_KEYRING_BACKEND")
    details = {"backend": backend, "expected": expected, "frozen": frozen,
               "named_by_environment": named}
    if frozen and not named and backend not in (expected, NO_KEYRING):
        raise CheckFailed(f"the frozen app uses {backend}, not {expected} or none: the "
                          "runtime hook that selects the keyring did not run")
    # A locked keyring may wait for the user to unlock it: do not hang the report.
    problem = _run_with_timeout(_keyring_problem, 30.0)
    if problem:
        raise CheckWarning(f"{backend}: no usable OS keyring here ({MEMORY_ONLY})",
                           usable=False, problem=problem, **details)
    return {"summary": backend, "usable": True, **details}


def _keyring_problem() -> str | None:
    """Why the app's session store cannot use the keyring (the app's own probe)."""
    from wyntek_desktop.api.keyring_storage import keyring_problem

    return keyring_problem()


def check_tls(options: Options) -> dict[str, Any]:
    import ssl

    import certifi

    bundle = Path(certifi.where())
    if not bundle.is_file():
        raise CheckFailed(f"certifi's CA bundle is missing ({bundle})")
    with_certifi = ssl.create_default_context(cafile=str(bundle))
    certifi_cas = with_certifi.cert_store_stats()["x509_ca"]
    if certifi_cas == 0:
        raise CheckFailed(f"certifi's CA bundle holds no certificates ({bundle})")
    system = ssl.create_default_context()
    paths = ssl.get_default_verify_paths()
    details = {"openssl": ssl.OPENSSL_VERSION, "certifi_bundle": str(bundle),
               "certifi_cas": certifi_cas, "system_cas": system.cert_store_stats()["x509_ca"],
               "system_cafile": paths.cafile, "system_capath": paths.capath}
    return {"summary": f"{ssl.OPENSSL_VERSION}; certifi {certifi_cas} CAs, system store "
                       f"{details['system_cas']} CAs loaded", **details}


def check_trimesh(options: Options) -> dict[str, Any]:
    import trimesh

    mesh: Any = trimesh.load(io.BytesIO(tetrahedra_stl(2)), file_type="stl", force="mesh")
    if len(mesh.faces) != 8:
        raise CheckFailed(f"binary STL: expected 8 triangles, got {len(mesh.faces)}")
    bodies = len(mesh.split(only_watertight=False))
    if bodies != 2:
        raise CheckFailed(f"body count: expected 2, got {bodies}")
    exported = mesh.export(file_type="3mf")
    back: Any = trimesh.load(io.BytesIO(exported), file_type="3mf", force="mesh")
    if len(back.faces) != 8:
        raise CheckFailed(f"3MF round trip: expected 8 triangles, got {len(back.faces)}")
    return {"summary": f"trimesh {trimesh.__version__}: STL, 3MF, body count",
            "trimesh": trimesh.__version__, "volume": float(mesh.volume)}


def check_step(options: Options) -> dict[str, Any]:
    import trimesh

    try:
        import cascadio
    except ImportError as exc:
        raise CheckFailed(f"cascadio is missing: STEP files cannot be opened ({exc})") from exc
    scene: Any = trimesh.load(io.BytesIO(box_step(10.0)), file_type="step")
    mesh: Any = scene.to_mesh() if hasattr(scene, "to_mesh") else scene
    mesh.merge_vertices()
    extents = [float(v) for v in mesh.extents]
    # cascadio converts to glTF, whose unit is the metre: 10 mm -> 0.01.
    scale = 0.001 if max(extents) < 1.0 else 1.0
    if not all(abs(v - 10.0 * scale) < 1e-3 * scale for v in extents):
        raise CheckFailed(f"STEP box: expected 10 mm sides, got {extents}")
    if not mesh.is_watertight or abs(mesh.volume - 1000.0 * scale**3) > 1.0 * scale**3:
        raise CheckFailed(f"STEP box: expected a closed 1000 mm3 solid, got volume "
                          f"{mesh.volume / scale**3:.1f} mm3")
    return {"summary": f"cascadio {cascadio.__version__}: STEP box, {len(mesh.faces)} triangles",
            "cascadio": str(cascadio.__version__), "extents": extents}


def check_pdf(options: Options) -> dict[str, Any]:
    """PDF drawings are shown as pages by PDFium (pypdfium2's bundled library)."""
    try:
        import pypdfium2 as pdfium
    except ImportError as exc:
        raise CheckFailed(f"pypdfium2 is missing: PDF pages cannot be drawn ({exc})") from exc
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=100)
    data = io.BytesIO()
    writer.write(data)
    document = pdfium.PdfDocument(data.getvalue())
    try:
        pixels = document[0].render(scale=1).to_numpy()
    finally:
        document.close()
    if tuple(pixels.shape[:2]) != (100, 200):
        raise CheckFailed(f"PDFium drew a 200 x 100 pt page as {pixels.shape[1]} x "
                          f"{pixels.shape[0]} pixels")
    return {"summary": "PDFium: a 200 x 100 pt page drawn"}


def check_licences(options: Options) -> dict[str, Any]:
    """Every bundled component lists an SPDX licence and its full texts are present."""
    components = about.components()
    unlicensed = [c.name for c in components if not c.spdx]
    missing = [f"{c.name}: {name}" for c in components for name in c.licence_files
               if (path := about.resolve_licence_file(name)) is None or not path.is_file()]
    if unlicensed or missing or not components:
        raise CheckFailed("licence information incomplete: "
                          + "; ".join([*(f"{n}: no SPDX id" for n in unlicensed), *missing][:8]))
    texts = sum(len(c.licence_files) for c in components)
    return {"summary": f"{len(components)} components, {texts} licence texts in "
                       f"{about.licences_folder()}", "components": len(components)}


def check_localstack(options: Options) -> dict[str, Any]:
    """Start the embedded stack on a temporary data dir, sign up, read the catalogue, stop.

    In the customer edition: check that the local stack is really left out."""
    import importlib.util
    import warnings

    if not local_stack_expected():
        present = [name for name in ("wyntek_localstack", "wyntek_service", "pgserver",
                                     "psycopg", "procrastinate")
                   if importlib.util.find_spec(name) is not None]
        if present:
            raise CheckFailed(f"the {_edition_name()} edition must not bundle "
                              f"{', '.join(present)}")
        return {"summary": f"not part of the {_edition_name()} edition (checked absent)",
                "bundled": False}

    with warnings.catch_warnings():  # pgserver notes a missing XDG_RUNTIME_DIR on import
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        return _run_localstack(options)


def _edition_name() -> str:
    current = edition.current()
    return current.name if current is not None else "source"


def _run_localstack(options: Options) -> dict[str, Any]:
    import httpx

    from wyntek_localstack.server import LocalStack

    with tempfile.TemporaryDirectory(prefix="wyntek-selftest-") as tmp:
        stack = LocalStack(Path(tmp) / "stack")
        started = time.perf_counter()
        info = _run_with_timeout(stack.start, options.timeout)
        try:
            ready = time.perf_counter() - started
            headers = {"apikey": info.anon_key}
            with httpx.Client(base_url=info.url, headers=headers, timeout=30,
                              trust_env=False) as client:
                health = client.get("/auth/v1/health")
                if health.status_code != 200:
                    raise CheckFailed(f"/auth/v1/health answered {health.status_code}")
                token = _sign_up(client)
                rows = client.get("/rest/v1/materials", params={"select": "id"},
                                  headers={"Authorization": f"Bearer {token}"})
                if rows.status_code != 200 or not rows.json():
                    raise CheckFailed(f"materials catalogue: HTTP {rows.status_code}, "
                                      f"{len(rows.json()) if rows.status_code == 200 else 0} rows")
                materials = len(rows.json())
        finally:
            stack.stop()
    return {"summary": f"ready in {ready:.1f} s; health, sign-up and {materials} materials "
                       "over HTTP", "ready_seconds": round(ready, 2), "materials": materials}


def _sign_up(client: Any) -> str:
    email = f"selftest-{os.getpid()}-{int(time.time())}@wyntek.local"
    reply = client.post("/auth/v1/signup", json={"email": email,
                                                 "password": "self-test-" + os.urandom(8).hex()})
    if reply.status_code != 200:
        raise CheckFailed(f"sign-up answered {reply.status_code}: {reply.text[:200]}")
    body = reply.json()
    token = body.get("access_token") or (body.get("session") or {}).get("access_token")
    if not token:
        raise CheckFailed("sign-up returned no session")
    return str(token)


# name, function, required
CHECKS: tuple[tuple[str, Callable[[Options], dict[str, Any]], bool], ...] = (
    ("native", check_native, True),
    ("processes", check_processes, True),
    ("qt", check_qt, True),
    ("opengl", check_opengl, False),
    ("keyring", check_keyring, True),
    ("tls", check_tls, True),
    ("trimesh", check_trimesh, True),
    ("step", check_step, True),
    ("pdf", check_pdf, True),
    ("licences", check_licences, True),
    ("localstack", check_localstack, True),
)


def run_check(name: str, func: Callable[[Options], dict[str, Any]], required: bool,
              options: Options) -> CheckResult:
    started = time.perf_counter()
    try:
        details = func(options)
        status, summary = PASS, str(details.pop("summary", "ok"))
    except CheckWarning as exc:
        status, summary, details = WARN, str(exc), exc.details
    except CheckFailed as exc:
        status, summary, details = FAIL, str(exc), {}
    except Exception as exc:  # a broken bundle shows up as anything: report, do not crash
        status, summary, details = FAIL, f"{type(exc).__name__}: {exc}", {}
    if status == FAIL and not required:
        status = WARN
    return CheckResult(name, status, summary, required,
                       round(time.perf_counter() - started, 3), details)


def run_checks(options: Options) -> list[CheckResult]:
    results = []
    for name, func, required in CHECKS:
        if name in options.skip:
            results.append(CheckResult(name, SKIP, "skipped on request", required))
            continue
        results.append(run_check(name, func, required, options))
    return results


def passed(results: list[CheckResult]) -> bool:
    return all(r.status != FAIL for r in results if r.required)


# --- report ---------------------------------------------------------------------------

def text_report(results: list[CheckResult]) -> str:
    info = about.about_info()
    lines = [f"{about.version_line()} self-test ({'frozen' if info.frozen else 'source'}, "
             f"Python {info.python}, {info.platform})"]
    width = max(len(r.name) for r in results)
    for r in results:
        tag = r.status.upper() if r.required or r.status != WARN else "WARN"
        lines.append(f"  {tag:<4}  {r.name:<{width}}  {r.summary}  [{r.seconds:.2f} s]")
    lines.append("Result: " + ("all required checks passed" if passed(results)
                               else "FAILED: " + ", ".join(
                                   r.name for r in results if r.required and r.status == FAIL)))
    return "\n".join(lines)


def json_report(results: list[CheckResult]) -> str:
    info = about.about_info()
    return json.dumps({
        "app": about.DISPLAY_NAME, "version": info.version, "frozen": info.frozen,
        "python": info.python, "platform": info.platform, "edition": _edition_name(),
        "executable": sys.executable, "passed": passed(results),
        "checks": [asdict(r) for r in results],
    }, indent=2, default=str)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="wyntek-desktop", add_help=True,
                                     description="Check the app's parts without a window.")
    parser.add_argument("--self-test", action="store_true", help="run the checks (default)")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--skip", action="append", default=[],
                        choices=[name for name, _, _ in CHECKS], help="leave a check out")
    parser.add_argument("--platform", default="offscreen",
                        help="Qt platform plugin for the checks (default: offscreen)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds the local stack may take to start")
    args, ignored = parser.parse_known_args(argv)
    if ignored:  # e.g. a file name given along with --self-test: not ours to judge
        sys.stderr.write(f"self-test: ignoring {' '.join(ignored)}\n")
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point: `argv` are the arguments after the program name."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        args = args[1:]  # tolerate a caller passing sys.argv with the program path
    options = parse_args(args)
    out = _output()
    if options.version:
        out.write(about.version_line() + "\n")
        out.flush()
        return 0
    results = run_checks(Options(platform=options.platform, timeout=options.timeout,
                                 skip=frozenset(options.skip)))
    out.write((json_report(results) if options.json else text_report(results)) + "\n")
    out.flush()
    return 0 if passed(results) else 1


def _output() -> Any:
    """stdout, or a report file when a windowed app has none (Windows without redirection)."""
    if sys.stdout is not None:
        return sys.stdout
    folder = about.app_folders().logs
    folder.mkdir(parents=True, exist_ok=True)
    return open(folder / "self-test.txt", "w", encoding="utf-8")


# --- generated test parts -------------------------------------------------------------

def tetrahedra_stl(count: int) -> bytes:
    """A binary STL of `count` separate unit tetrahedra side by side (4 triangles each)."""
    corners = [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)]
    faces = [(0, 2, 1), (0, 1, 3), (0, 3, 2), (1, 2, 3)]  # outward-facing
    records = []
    for body in range(count):
        shift = 2.0 * body
        pts = [(x + shift, y, z) for x, y, z in corners]
        for a, b, c in faces:
            records.append(struct.pack("<12fH", 0.0, 0.0, 0.0, *pts[a], *pts[b], *pts[c], 0))
    header = b"wyntek self-test".ljust(80, b"\0")
    return header + struct.pack("<I", len(records)) + b"".join(records)


def box_step(size: float) -> bytes:
    """A STEP AP214 file holding one cube of `size` mm as a B-rep solid."""
    writer = _StepWriter()
    corners = [(size * (i & 1), size * (i >> 1 & 1), size * (i >> 2 & 1)) for i in range(8)]
    vertices = [writer.add(f"VERTEX_POINT('',{writer.point(p)})") for p in corners]
    edges: dict[tuple[int, int], str] = {}
    faces = [writer.add(_box_face(writer, corners, vertices, edges, axis, side))
             for axis in range(3) for side in (0, 1)]
    shell = writer.add(f"CLOSED_SHELL('',({','.join(faces)}))")
    solid = writer.add(f"MANIFOLD_SOLID_BREP('box',{shell})")
    return writer.document(solid)


def _box_face(writer: _StepWriter, corners: list[tuple[float, float, float]],
              vertices: list[str], edges: dict[tuple[int, int], str], axis: int,
              side: int) -> str:
    """One face of the cube: the 4 corners with coordinate `axis` == `side`, wound
    counter-clockwise seen from outside, on a plane whose normal points outwards."""
    bit = 1 << axis
    others = [b for b in (1, 2, 4) if b != bit]
    base = bit if side else 0
    loop = [base, base | others[0], base | others[0] | others[1], base | others[1]]
    normal = [0.0, 0.0, 0.0]
    normal[axis] = 1.0 if side else -1.0
    if _winding(corners, loop, axis) * normal[axis] < 0:
        loop.reverse()
    oriented = []
    for a, b in zip(loop, loop[1:] + loop[:1], strict=True):
        key = (min(a, b), max(a, b))
        if key not in edges:
            start, end = corners[key[0]], corners[key[1]]
            direction = tuple(e - s for s, e in zip(start, end, strict=True))
            length = max(abs(d) for d in direction)
            unit = tuple(d / length for d in direction)
            vector = writer.add(f"VECTOR('',{writer.direction(unit)},{_num(length)})")
            line = writer.add(f"LINE('',{writer.point(start)},{vector})")
            edges[key] = writer.add(
                f"EDGE_CURVE('',{vertices[key[0]]},{vertices[key[1]]},{line},.T.)")
        sense = ".T." if (a, b) == key else ".F."
        oriented.append(writer.add(f"ORIENTED_EDGE('',*,*,{edges[key]},{sense})"))
    edge_loop = writer.add(f"EDGE_LOOP('',({','.join(oriented)}))")
    bound = writer.add(f"FACE_OUTER_BOUND('',{edge_loop},.T.)")
    ref = [0.0, 0.0, 0.0]
    ref[(axis + 1) % 3] = 1.0
    placement = writer.add(f"AXIS2_PLACEMENT_3D('',{writer.point(corners[loop[0]])},"
                           f"{writer.direction(tuple(normal))},{writer.direction(tuple(ref))})")
    plane = writer.add(f"PLANE('',{placement})")
    return f"ADVANCED_FACE('',({bound}),{plane},.T.)"


def _winding(corners: list[tuple[float, float, float]], loop: list[int], axis: int) -> float:
    """Sign of the loop's normal along `axis` (cross product of its first two edges)."""
    p0, p1, p2 = (corners[i] for i in loop[:3])
    u = [p1[i] - p0[i] for i in range(3)]
    v = [p2[i] - p1[i] for i in range(3)]
    cross = (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])
    return cross[axis]


def _num(value: float) -> str:
    text = repr(float(value)).upper()
    return text if "." in text or "E" in text else text + "."


class _StepWriter:
    """Numbers STEP entities as they are added and writes the exchange file around them."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, entity: str) -> str:
        self.lines.append(entity)
        return f"#{len(self.lines)}"

    def point(self, xyz: tuple[float, ...]) -> str:
        return self.add(f"CARTESIAN_POINT('',({','.join(_num(c) for c in xyz)}))")

    def direction(self, xyz: tuple[float, ...]) -> str:
        return self.add(f"DIRECTION('',({','.join(_num(c) for c in xyz)}))")

    def document(self, solid: str) -> bytes:
        mm = self.add("( LENGTH_UNIT() NAMED_UNIT(*) SI_UNIT(.MILLI.,.METRE.) )")
        rad = self.add("( NAMED_UNIT(*) PLANE_ANGLE_UNIT() SI_UNIT($,.RADIAN.) )")
        sr = self.add("( NAMED_UNIT(*) SI_UNIT($,.STERADIAN.) SOLID_ANGLE_UNIT() )")
        unc = self.add(f"UNCERTAINTY_MEASURE_WITH_UNIT(LENGTH_MEASURE(1.E-07),{mm},"
                       "'distance_accuracy_value','')")
        geo = self.add(f"( GEOMETRIC_REPRESENTATION_CONTEXT(3) GLOBAL_UNCERTAINTY_ASSIGNED_"
                       f"CONTEXT(({unc})) GLOBAL_UNIT_ASSIGNED_CONTEXT(({mm},{rad},{sr})) "
                       "REPRESENTATION_CONTEXT('','') )")
        origin = self.add(f"AXIS2_PLACEMENT_3D('',{self.point((0.0, 0.0, 0.0))},"
                          f"{self.direction((0.0, 0.0, 1.0))},{self.direction((1.0, 0.0, 0.0))})")
        shape = self.add(f"ADVANCED_BREP_SHAPE_REPRESENTATION('box',({solid},{origin}),{geo})")
        app = self.add("APPLICATION_CONTEXT('automotive design')")
        self.add(f"APPLICATION_PROTOCOL_DEFINITION('international standard',"
                 f"'automotive_design',2000,{app})")
        pctx = self.add(f"PRODUCT_CONTEXT('',{app},'mechanical')")
        product = self.add(f"PRODUCT('box','box','',({pctx}))")
        formation = self.add(f"PRODUCT_DEFINITION_FORMATION('','',{product})")
        dctx = self.add(f"PRODUCT_DEFINITION_CONTEXT('part definition',{app},'design')")
        definition = self.add(f"PRODUCT_DEFINITION('design','',{formation},{dctx})")
        pds = self.add(f"PRODUCT_DEFINITION_SHAPE('','',{definition})")
        self.add(f"SHAPE_DEFINITION_REPRESENTATION({pds},{shape})")
        body = "\n".join(f"#{i}={line};" for i, line in enumerate(self.lines, start=1))
        text = ("ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION(('WYNTEK self-test box'),'2;1');\n"
                "FILE_NAME('box.step','2026-01-01T00:00:00',(''),(''),'','','');\n"
                "FILE_SCHEMA(('AUTOMOTIVE_DESIGN { 1 0 10303 214 1 1 1 1 }'));\nENDSEC;\n"
                f"DATA;\n{body}\nENDSEC;\nEND-ISO-10303-21;\n")
        return text.encode("ascii")


def _run_with_timeout(func: Callable[[], Any], seconds: float) -> Any:
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = func()
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"no answer within {seconds:.0f} s")
    if "error" in result:
        raise result["error"]
    return result.get("value")


if __name__ == "__main__":
    sys.exit(main())
