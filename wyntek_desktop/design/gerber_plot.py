"""Gerber (RS-274X) to filled polygons, for drawing a board (not for fabrication).

Everything a layer exposes becomes polygons in millimetres: flashes of the standard and
macro apertures, strokes (a stroke with a circular aperture is a capsule, an arc stroke
an annular sector), and regions (G36/G37 contours). Polarity is kept as runs: a clear
(``%LPC%``) run erases what the dark runs before it drew. Curves are cut into chords no
further than ``CHORD_MM`` from the true curve.

Not drawn (rare in fabrication output, harmless to leave out of a preview): aperture
holes, step-and-repeat (``%SR``), block apertures (``%AB``) and aperture transformations
(``%LM``/``%LR``/``%LS``).
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from dataclasses import dataclass, field

import numpy as np

CHORD_MM = 0.005
_FS = re.compile(rb"%FS([LTD]?)([AI]?)X(\d)(\d)Y(\d)(\d)\*%")
_WORD = re.compile(rb"%[^%]*%|[^*%]*\*")
# comments first: EAGLE writes attributes as 'G04 #@! %TF...*', with a '%' inside
_COMMENT = re.compile(rb"(?<![%A-Z0-9])G0?4[^*]*\*")
_COORD = re.compile(rb"([XYIJ])([+-]?\d+)")
_G = re.compile(rb"G0*(\d+)")
_D = re.compile(rb"D0*(\d+)\*?$")
_AD = re.compile(rb"ADD(\d+)([A-Za-z_.$][A-Za-z0-9_.$-]*)(?:,(.*))?$", re.S)
_MAX_POLYGONS = 400_000  # a hostile file cannot make the preview take forever or fill memory


@dataclass
class Run:
    """Polygons of one polarity, drawn in order (dark adds, clear erases)."""

    dark: bool
    polygons: list[np.ndarray] = field(default_factory=list)


@dataclass
class Plot:
    runs: list[Run] = field(default_factory=list)

    def add(self, polygon: np.ndarray, dark: bool) -> None:
        if len(polygon) < 3:
            return
        if not self.runs or self.runs[-1].dark != dark:
            self.runs.append(Run(dark))
        self.runs[-1].polygons.append(polygon)

    def polygons(self) -> int:
        return sum(len(r.polygons) for r in self.runs)

    def bounds(self) -> tuple[float, float, float, float] | None:
        pts = [p for r in self.runs if r.dark for p in r.polygons]
        if not pts:
            return None
        both = np.concatenate(pts)
        lo, hi = both.min(axis=0), both.max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


class GerberError(ValueError):
    """The file is not Gerber this module can draw."""


# --- shapes ------------------------------------------------------------------------------

def _segments(radius: float, sweep: float = 2 * math.pi) -> int:
    if radius <= CHORD_MM:
        return max(4, int(8 * sweep / (2 * math.pi)))
    step = 2 * math.acos(max(-1.0, 1 - CHORD_MM / radius))
    return int(min(256, max(8 * sweep / (2 * math.pi), math.ceil(sweep / step))))


def circle(cx: float, cy: float, r: float) -> np.ndarray:
    n = _segments(r)
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return np.column_stack([cx + r * np.cos(t), cy + r * np.sin(t)])


@functools.lru_cache(maxsize=4096)
def _unit_arc(n: int, sweep: float) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0, sweep, n)
    return np.cos(t), np.sin(t)


def _arc_points(cx: float, cy: float, r: float, a0: float, sweep: float) -> np.ndarray:
    n = max(2, _segments(r, abs(sweep)) + 1)
    c, s = _unit_arc(n, round(sweep, 9))
    ca, sa = math.cos(a0), math.sin(a0)
    # cos(a0 + t), sin(a0 + t) from the cached table
    return np.column_stack([cx + r * (c * ca - s * sa), cy + r * (s * ca + c * sa)])


def capsule(x0: float, y0: float, x1: float, y1: float, r: float) -> np.ndarray:
    """A stroke of a round aperture: the segment widened by r, with round ends."""
    a = math.atan2(y1 - y0, x1 - x0)
    end = _arc_points(x1, y1, r, a - math.pi / 2, math.pi)
    start = _arc_points(x0, y0, r, a + math.pi / 2, math.pi)
    return np.concatenate([end, start])


def arc_stroke(cx: float, cy: float, r: float, a0: float, sweep: float,
               half: float) -> np.ndarray:
    """An arc stroke of a round aperture of radius ``half``."""
    outer = _arc_points(cx, cy, r + half, a0, sweep)
    inner = _arc_points(cx, cy, max(r - half, 0.0), a0 + sweep, -sweep)
    a1 = a0 + sweep
    turn = math.pi if sweep >= 0 else -math.pi
    end = _arc_points(cx + r * math.cos(a1), cy + r * math.sin(a1), half, a1, turn)
    start = _arc_points(cx + r * math.cos(a0), cy + r * math.sin(a0), half, a0 + turn, turn)
    return np.concatenate([outer, end, inner, start])


def _moved(points: np.ndarray, dx: float, dy: float) -> np.ndarray:
    return points + np.array([dx, dy])


def _rotate(points: np.ndarray, degrees: float) -> np.ndarray:
    if not degrees:
        return points
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    return points @ np.array([[c, s], [-s, c]])


def _rect(w: float, h: float) -> np.ndarray:
    return np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])


def _obround(w: float, h: float) -> np.ndarray:
    if w >= h:
        return capsule(-(w - h) / 2, 0.0, (w - h) / 2, 0.0, h / 2)
    return capsule(0.0, -(h - w) / 2, 0.0, (h - w) / 2, w / 2)


def _regular(diameter: float, vertices: int, degrees: float) -> np.ndarray:
    vertices = min(max(int(vertices), 3), 64)
    t = np.radians(degrees) + np.linspace(0, 2 * math.pi, vertices, endpoint=False)
    return np.column_stack([diameter / 2 * np.cos(t), diameter / 2 * np.sin(t)])


# --- aperture macros -------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(\d+\.?\d*|\.\d+|\$\d+|[-+xX/()])")


def evaluate(expression: str, variables: dict[int, float]) -> float:
    """An aperture-macro arithmetic expression (+ - x / and parentheses), no eval()."""
    tokens = _TOKEN.findall(expression)
    if "".join(tokens).replace(" ", "") != expression.replace(" ", ""):
        raise GerberError(f"unreadable macro expression {expression[:40]!r}")
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def atom() -> float:
        tok = take() if peek() is not None else ""
        if tok == "-":
            return -atom()
        if tok == "+":
            return atom()
        if tok == "(":
            value = expr()
            if peek() == ")":
                take()
            return value
        if tok.startswith("$"):
            return variables.get(int(tok[1:]), 0.0)
        try:
            return float(tok)
        except ValueError:
            raise GerberError(f"unreadable macro expression {expression[:40]!r}") from None

    def term() -> float:
        value = atom()
        while peek() in ("x", "X", "/"):
            op, rhs = take(), atom()
            value = value * rhs if op in ("x", "X") else (value / rhs if rhs else 0.0)
        return value

    def expr() -> float:
        value = term()
        while peek() in ("+", "-"):
            op, rhs = take(), term()
            value = value + rhs if op == "+" else value - rhs
        return value

    return expr()


def macro_shapes(body: list[str], params: list[float]) -> list[tuple[np.ndarray, bool]]:
    """(polygon, exposure on) for each primitive of a macro with these parameters."""
    variables = {i + 1: v for i, v in enumerate(params)}
    out: list[tuple[np.ndarray, bool]] = []
    for statement in body:
        statement = statement.strip()
        if not statement or statement.startswith("0"):
            continue
        if statement.startswith("$"):
            name, _, value = statement.partition("=")
            variables[int(name[1:])] = evaluate(value, variables)
            continue
        fields = [evaluate(f, variables) for f in statement.split(",") if f.strip()]
        if not fields:
            continue
        code, args = int(fields[0]), fields[1:]
        shape = _primitive(code, args)
        if shape is not None:
            out.append((shape, bool(args and args[0])))
    return out


def _primitive(code: int, a: list[float]) -> np.ndarray | None:
    def arg(i: int) -> float:
        return a[i] if i < len(a) else 0.0

    if code == 1:       # circle: exposure, diameter, x, y[, rotation]
        return _rotate(circle(arg(2), arg(3), arg(1) / 2), arg(4))
    if code == 4:       # outline: exposure, n, x0, y0 ... xn, yn, rotation
        n = int(arg(1))
        pts = np.array(a[2:2 + 2 * (n + 1)], dtype=float).reshape(-1, 2)
        return _rotate(pts, arg(2 + 2 * (n + 1)))
    if code == 5:       # polygon: exposure, vertices, x, y, diameter, rotation
        shape = _moved(_regular(arg(4), int(arg(1)), 0.0), arg(2), arg(3))
        return _rotate(shape, arg(5))
    if code in (2, 20):  # vector line: exposure, width, xs, ys, xe, ye, rotation
        x0, y0, x1, y1, w = arg(2), arg(3), arg(4), arg(5), arg(1)
        length = math.hypot(x1 - x0, y1 - y0) or 1e-9
        nx, ny = -(y1 - y0) / length * w / 2, (x1 - x0) / length * w / 2
        pts = np.array([[x0 + nx, y0 + ny], [x0 - nx, y0 - ny], [x1 - nx, y1 - ny],
                        [x1 + nx, y1 + ny]])
        return _rotate(pts, arg(6))
    if code == 21:      # centre line: exposure, width, height, x, y, rotation
        return _rotate(_moved(_rect(arg(1), arg(2)), arg(3), arg(4)), arg(5))
    if code == 7:       # thermal, drawn as its outer circle: x, y, outer, inner, gap, rot
        return circle(arg(0), arg(1), arg(2) / 2)
    return None


# --- the file ----------------------------------------------------------------------------

@dataclass
class _Aperture:
    shapes: list[tuple[np.ndarray, bool]]   # centred at the origin
    radius: float | None = None             # a circle: strokes are capsules


def plot_gerber(data: bytes) -> Plot:
    """The layer's exposed area as polygons (mm); raises GerberError if it has no format."""
    fs = _FS.search(data)
    if fs is None:
        raise GerberError("no %FS format statement: not a Gerber file")
    trailing, incremental = fs.group(1) == b"T", fs.group(2) == b"I"
    int_digits, decimals = int(fs.group(3)), int(fs.group(4))
    unit = 25.4 if (b"%MOIN" in data or (b"G70" in data and b"%MOMM" not in data)) else 1.0

    def number(text: bytes) -> float:
        sign = -1.0 if text.startswith(b"-") else 1.0
        raw = text.lstrip(b"+-")
        if trailing:
            raw = raw.ljust(int_digits + decimals, b"0")
        return sign * int(raw) / 10 ** decimals * unit

    macros: dict[str, list[str]] = {}
    apertures: dict[int, _Aperture] = {}
    plot = Plot()
    dark = True
    x = y = 0.0
    mode, multi = 1, True
    current: _Aperture | None = None
    region: list[list[tuple[float, float]]] | None = None
    last_d = 2
    text = _COMMENT.sub(b"", data.replace(b"\r", b"").replace(b"\n", b""))
    for word in _WORD.finditer(text):
        w = word.group(0)
        if w.startswith(b"%"):
            inner = w.strip(b"%")
            if inner.startswith(b"AM"):
                parts = inner[2:].decode("ascii", "replace").split("*")
                macros[parts[0].strip()] = [p for p in parts[1:] if p.strip()]
            elif inner.startswith(b"AD"):
                ap = _aperture(inner.rstrip(b"*"), unit, macros)
                if ap is not None:
                    apertures[ap[0]] = ap[1]
            elif inner.startswith(b"LP"):
                dark = inner[2:3] != b"C"
            elif inner.startswith(b"MO"):
                unit = 25.4 if inner[2:4] == b"IN" else 1.0
            continue
        w = w[:-1]
        if not w or w.startswith(b"G04") or w.startswith(b"M0"):
            continue
        g = _G.match(w)
        if g:
            code = int(g.group(1))
            if code in (1, 2, 3):
                mode = code
            elif code == 74:
                multi = False
            elif code == 75:
                multi = True
            elif code == 36:
                region = []
            elif code == 37:
                if region is not None:
                    for contour in region:
                        plot.add(np.array(contour), dark)
                region = None
            elif code == 70:
                unit = 25.4
            elif code == 71:
                unit = 1.0
            w = w[g.end():]
        d = _D.search(w)
        dcode = int(d.group(1)) if d else None
        if dcode is not None and dcode >= 10:
            current = apertures.get(dcode)
            continue
        coords = {k.decode(): number(v) for k, v in _COORD.findall(w)}
        if not coords and dcode is None:
            continue
        if dcode is None:
            dcode = last_d if last_d in (1, 2, 3) else 1
        last_d = dcode
        if incremental:
            nx, ny = x + coords.get("X", 0.0), y + coords.get("Y", 0.0)
        else:
            nx, ny = coords.get("X", x), coords.get("Y", y)
        if dcode == 2:
            if region is not None:
                region.append([(nx, ny)])
        elif dcode == 1:
            path = _path(x, y, nx, ny, coords.get("I", 0.0), coords.get("J", 0.0), mode, multi)
            if region is not None:
                if not region:
                    region.append([(x, y)])
                region[-1].extend(path)
            elif current is not None:
                _stroke(plot, current, x, y, nx, ny, coords, mode, multi, dark)
        elif dcode == 3 and current is not None:
            for shape, on in current.shapes:
                plot.add(_moved(shape, nx, ny), dark if on else not dark)
        x, y = nx, ny
        if plot.polygons() > _MAX_POLYGONS:
            raise GerberError("the layer has more shapes than a preview draws")
    return plot


def _aperture(inner: bytes, unit: float, macros: dict[str, list[str]]
              ) -> tuple[int, _Aperture] | None:
    m = _AD.match(inner)
    if m is None:
        return None
    number, kind = int(m.group(1)), m.group(2).decode("ascii", "replace")
    try:
        params = [float(p) for p in (m.group(3) or b"").decode("ascii").split("X") if p]
    except ValueError:
        return None
    mm = [p * unit for p in params]

    def p(i: int) -> float:
        return mm[i] if i < len(mm) else 0.0

    if kind == "C":
        return number, _Aperture([(circle(0, 0, p(0) / 2), True)], radius=p(0) / 2)
    if kind == "R":
        return number, _Aperture([(_rect(p(0), p(1)), True)])
    if kind == "O":
        return number, _Aperture([(_obround(p(0), p(1)), True)])
    if kind == "P":
        degrees = params[2] if len(params) > 2 else 0.0
        return number, _Aperture([(_regular(p(0), int(params[1]) if len(params) > 1 else 3,
                                            degrees), True)])
    body = macros.get(kind)
    if body is None:
        return None
    # macro parameters and coordinates are in the file's unit
    shapes = [(shape * unit, on) for shape, on in macro_shapes(body, params)]
    return number, _Aperture(shapes)


def _arc(x0: float, y0: float, x1: float, y1: float, i: float, j: float, mode: int,
         multi: bool) -> tuple[float, float, float, float, float]:
    """(cx, cy, r, start angle, signed sweep) of a G02/G03 arc."""
    if multi:
        cx, cy = x0 + i, y0 + j
    else:  # single quadrant: the sign of I and J is implied; pick the centre that fits
        options = [(x0 + si * abs(i), y0 + sj * abs(j)) for si in (1, -1) for sj in (1, -1)]
        cx, cy = min(options, key=lambda c: abs(math.hypot(x0 - c[0], y0 - c[1])
                                                 - math.hypot(x1 - c[0], y1 - c[1])))
    r = math.hypot(x0 - cx, y0 - cy)
    a0 = math.atan2(y0 - cy, x0 - cx)
    a1 = math.atan2(y1 - cy, x1 - cx)
    if mode == 3:   # counter-clockwise
        sweep = (a1 - a0) % (2 * math.pi)
        if multi and sweep < 1e-9:
            sweep = 2 * math.pi
    else:
        sweep = -((a0 - a1) % (2 * math.pi))
        if multi and sweep > -1e-9:
            sweep = -2 * math.pi
    if not multi and abs(sweep) > math.pi / 2 + 1e-6:
        sweep = sweep - math.copysign(2 * math.pi, sweep)
    return cx, cy, r, a0, sweep


def _path(x0: float, y0: float, x1: float, y1: float, i: float, j: float, mode: int,
          multi: bool) -> list[tuple[float, float]]:
    if mode == 1:
        return [(x1, y1)]
    cx, cy, r, a0, sweep = _arc(x0, y0, x1, y1, i, j, mode, multi)
    pts = _arc_points(cx, cy, r, a0, sweep)[1:]
    return [(float(px), float(py)) for px, py in pts[:-1]] + [(x1, y1)]


def _stroke(plot: Plot, ap: _Aperture, x0: float, y0: float, x1: float, y1: float,
            coords: dict[str, float], mode: int, multi: bool, dark: bool) -> None:
    if ap.radius is not None:
        half = ap.radius
        if mode == 1:
            if half <= 0:
                half = CHORD_MM  # zero-width lines still show (outlines are drawn so)
            plot.add(capsule(x0, y0, x1, y1, half), dark)
        else:
            cx, cy, r, a0, sweep = _arc(x0, y0, x1, y1, coords.get("I", 0.0),
                                        coords.get("J", 0.0), mode, multi)
            plot.add(arc_stroke(cx, cy, r, a0, sweep, max(half, CHORD_MM)), dark)
        return
    # any other aperture: the convex hull of the aperture at both ends of each chord
    points = [(x0, y0), *_path(x0, y0, x1, y1, coords.get("I", 0.0), coords.get("J", 0.0),
                               mode, multi)]
    for shape, _on in ap.shapes:
        for (ax, ay), (bx, by) in itertools.pairwise(points):
            plot.add(_hull(np.concatenate([_moved(shape, ax, ay), _moved(shape, bx, by)])),
                     dark)


def _hull(points: np.ndarray) -> np.ndarray:
    """Convex hull (monotone chain)."""
    pts = sorted({(float(a), float(b)) for a, b in points})
    if len(pts) < 3:
        return np.array(pts)

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1])


def outline_loops(data: bytes) -> list[np.ndarray]:
    """The outline layer's centre lines as polylines (mm), for an even-odd fill of the
    board shape: strokes are kept as their paths, in any order or direction."""
    fs = _FS.search(data)
    if fs is None:
        raise GerberError("no %FS format statement: not a Gerber file")
    trailing = fs.group(1) == b"T"
    int_digits, decimals = int(fs.group(3)), int(fs.group(4))
    unit = 25.4 if b"%MOIN" in data else 1.0

    def number(text: bytes) -> float:
        sign = -1.0 if text.startswith(b"-") else 1.0
        raw = text.lstrip(b"+-")
        if trailing:
            raw = raw.ljust(int_digits + decimals, b"0")
        return sign * int(raw) / 10 ** decimals * unit

    lines: list[np.ndarray] = []
    x = y = 0.0
    mode, multi, last_d = 1, True, 2
    text = _drop_extended(data)
    for raw in text.split(b"*"):
        if not raw or raw.startswith(b"G04"):
            continue
        g = _G.match(raw)
        if g:
            code = int(g.group(1))
            if code in (1, 2, 3):
                mode = code
            elif code in (74, 75):
                multi = code == 75
            raw = raw[g.end():]
        d = _D.search(raw)
        dcode = int(d.group(1)) if d else None
        if dcode is not None and dcode >= 10:
            continue
        coords = {k.decode(): number(v) for k, v in _COORD.findall(raw)}
        if not coords:
            continue
        dcode = dcode if dcode is not None else last_d
        last_d = dcode
        nx, ny = coords.get("X", x), coords.get("Y", y)
        if dcode == 1:
            path = _path(x, y, nx, ny, coords.get("I", 0.0), coords.get("J", 0.0), mode, multi)
            lines.append(np.array([(x, y), *path]))
        x, y = nx, ny
    return lines


def _drop_extended(data: bytes) -> bytes:
    text = _COMMENT.sub(b"", data.replace(b"\r", b"").replace(b"\n", b""))
    return re.sub(rb"%[^%]*%", b"", text)
