"""Just enough Gerber (RS-274X) to measure an outline, and Excellon to count holes."""

from __future__ import annotations

import math
import re

_FS = re.compile(rb"%FS([LTD]?)([AI]?)X(\d)(\d)Y(\d)(\d)\*%")
_STATEMENT = re.compile(
    rb"^(?:G0?([1-3]|74|75))?(?:X([+-]?\d+))?(?:Y([+-]?\d+))?(?:I([+-]?\d+))?"
    rb"(?:J([+-]?\d+))?(?:D0?([1-3]))?$")
_APERTURE = re.compile(rb"%ADD(\d+)[A-Za-z_.$]*,([\d.]+)")
_PARAMETERS = re.compile(rb"%[^%]*%")  # %FS...*%, %AD...*% blocks: read separately
_SELECT = re.compile(rb"^(?:G54)?D(\d+)$")
_DRILL_HIT = re.compile(rb"^(?:G\d+)?[XY][-+]?[\d.]", re.MULTILINE)


def outline_size(files: list[bytes]) -> tuple[float, float] | None:
    """Width and height (mm) of the outline as drawn: the bounding box of its strokes'
    centre lines widened by half the stroke (aperture) width."""
    box: list[float] = []
    for data in files:
        b = _bounds(data)
        if b is None:
            continue
        box = b if not box else [min(box[0], b[0]), min(box[1], b[1]),
                                 max(box[2], b[2]), max(box[3], b[3])]
    if not box:
        return None
    return round(box[2] - box[0], 4), round(box[3] - box[1], 4)


def _bounds(data: bytes) -> list[float] | None:
    fs = _FS.search(data)
    if fs is None:
        return None
    trailing = fs.group(1) == b"T"
    digits = (int(fs.group(3)), int(fs.group(4)))
    unit = 25.4 if (b"%MOIN" in data or b"G70" in data) else 1.0

    def number(text: bytes | None, previous: float) -> float:
        if text is None:
            return previous
        sign = -1.0 if text.startswith(b"-") else 1.0
        raw = text.lstrip(b"+-")
        if trailing:
            raw = raw.ljust(digits[0] + digits[1], b"0")
        return sign * int(raw) / 10 ** digits[1] * unit

    apertures = {int(m.group(1)): float(m.group(2)) * unit for m in _APERTURE.finditer(data)}
    xs: list[float] = []
    ys: list[float] = []
    x = y = 0.0
    mode, multi = 1, True
    half = 0.0  # half the width of the current aperture
    low = [math.inf, math.inf]
    high = [-math.inf, -math.inf]

    def flush() -> None:
        if xs:
            low[0], low[1] = min(low[0], min(xs) - half), min(low[1], min(ys) - half)
            high[0], high[1] = max(high[0], max(xs) + half), max(high[1], max(ys) + half)
            xs.clear()
            ys.clear()

    commands = _PARAMETERS.sub(b"", data.replace(b"\r", b"").replace(b"\n", b""))
    for raw in commands.split(b"*"):
        if raw.startswith(b"G04") or not raw:
            continue
        select = _SELECT.match(raw)
        if select and int(select.group(1)) >= 10:
            flush()
            half = apertures.get(int(select.group(1)), 0.0) / 2
            continue
        m = _STATEMENT.match(raw)
        if m is None:
            continue
        g, gx, gy, gi, gj, d = m.groups()
        if g in (b"1", b"2", b"3"):
            mode = int(g)
        elif g in (b"74", b"75"):
            multi = g == b"75"
        if gx is None and gy is None:
            continue
        nx, ny = number(gx, x), number(gy, y)
        if d == b"1" or d is None:
            xs += [x, nx]
            ys += [y, ny]
            if mode in (2, 3) and multi and (gi is not None or gj is not None):
                cx, cy = x + number(gi, 0.0), y + number(gj, 0.0)
                ax, ay = _arc_extremes(x, y, nx, ny, cx, cy, clockwise=mode == 2)
                xs += ax
                ys += ay
        elif d == b"3":
            xs.append(nx)
            ys.append(ny)
        x, y = nx, ny
    flush()
    if low[0] == math.inf:
        return None
    return [low[0], low[1], high[0], high[1]]


def _arc_extremes(x0: float, y0: float, x1: float, y1: float, cx: float, cy: float,
                  clockwise: bool) -> tuple[list[float], list[float]]:
    """Points where the arc crosses the axes through its centre (where it bulges out)."""
    r = math.hypot(x0 - cx, y0 - cy)
    a0 = math.atan2(y0 - cy, x0 - cx)
    a1 = math.atan2(y1 - cy, x1 - cx)
    if clockwise:
        a0, a1 = a1, a0
    sweep = (a1 - a0) % (2 * math.pi) or 2 * math.pi  # same point: a full circle
    xs: list[float] = []
    ys: list[float] = []
    for k in range(4):
        angle = k * math.pi / 2
        if (angle - a0) % (2 * math.pi) <= sweep:
            xs.append(cx + r * math.cos(angle))
            ys.append(cy + r * math.sin(angle))
    return xs, ys


def count_drill_hits(data: bytes) -> int:
    """Number of drill hits (coordinate lines after the Excellon header)."""
    end = data.find(b"\n%")
    body = data[end + 2:] if end >= 0 else data
    return len(_DRILL_HIT.findall(body))
