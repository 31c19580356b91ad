"""A Gerber archive drawn as the board it makes: top and bottom, as a person sees them.

Copper, solder mask, silkscreen, drills and the outline are read from the archive's
layers (recognised as ``design.gerber`` does, including the person's assignments),
turned into polygons (``gerber_plot``, ``excellon``) and filled on a pixel grid
(``raster``), twice as fine as the image and averaged down. The bottom is mirrored: it
is drawn as seen from below. Holes and everything outside the board are transparent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wyntek_desktop.core.errors import FileError
from wyntek_desktop.design import excellon, gerber, gerber_plot, safezip
from wyntek_desktop.design._errors import file_error
from wyntek_desktop.design.png import encode_png
from wyntek_desktop.design.raster import Grid, fill

SIDES = ("top", "bottom")
SUPERSAMPLE = 2
_MAX_PIXELS = 4096
# colours of a green-mask board with a gold finish (RGB)
SUBSTRATE = (196, 170, 110)         # bare FR-4 in a mask opening
MASK = (22, 96, 52)
MASK_ON_COPPER = (52, 140, 74)
FINISH = (214, 170, 70)              # exposed copper
BARE_COPPER = (190, 120, 70)        # copper of a board without a mask layer
SILK = (244, 244, 240)
_PALETTE = np.array([(0, 0, 0, 0), (*MASK, 255), (*MASK_ON_COPPER, 255), (*SUBSTRATE, 255),
                     (*FINISH, 255), (*BARE_COPPER, 255), (*SILK, 255)], dtype=np.uint8)


@dataclass
class BoardLayers:
    """Polygons of the layers a preview draws (mm)."""

    copper: dict[str, list[gerber_plot.Plot]] = field(default_factory=dict)
    mask: dict[str, list[gerber_plot.Plot]] = field(default_factory=dict)
    silk: dict[str, list[gerber_plot.Plot]] = field(default_factory=dict)
    outline: list[np.ndarray] = field(default_factory=list)
    holes: list[excellon.Hole] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)   # files that could not be drawn

    def bounds(self) -> tuple[float, float, float, float] | None:
        if self.outline:
            pts = np.concatenate(self.outline)
        else:
            boxes = [p.bounds() for plots in (*self.copper.values(), *self.mask.values())
                     for p in plots]
            corners = [b for b in boxes if b is not None]
            if not corners:
                return None
            pts = np.array([(b[0], b[1]) for b in corners] + [(b[2], b[3]) for b in corners])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


@dataclass(frozen=True)
class BoardImages:
    """PNGs of both sides, the size they show (mm) and what could not be drawn."""

    top: bytes
    bottom: bytes
    width_mm: float
    height_mm: float
    notes: tuple[str, ...] = ()


def read_layers(path: Path, assigned: dict[str, str] | None = None) -> BoardLayers:
    members = safezip.read_members(path, label="Gerber archive")
    layers = BoardLayers()
    roles = {"copper": layers.copper, "soldermask": layers.mask, "silkscreen": layers.silk}
    for name in sorted(members):
        data = members[name]
        if assigned and name in assigned:
            chosen = gerber.ASSIGNABLE.get(assigned[name])
            if chosen is None:
                continue
            role, side = chosen
        else:
            found, side, _how, _why = gerber.recognise(name, data)
            if found is None:
                continue
            role = found
        try:
            if role == "drill":
                layers.holes.extend(excellon.read_holes(data))
            elif role == "outline":
                layers.outline.extend(gerber_plot.outline_loops(data))
            elif role in roles and side in SIDES:
                roles[role].setdefault(side, []).append(gerber_plot.plot_gerber(data))
        except (gerber_plot.GerberError, ValueError, IndexError, OverflowError, RecursionError):
            layers.unreadable.append(name)
    return layers


def render_side(layers: BoardLayers, side: str, size: int = 1024) -> np.ndarray:
    """(h, w, 4) uint8 RGBA of one side, the longer edge ``size`` pixels."""
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}")
    grid = board_grid(layers, side, size)
    width, height = grid.width, grid.height
    board = (fill(layers.outline, grid, "evenodd", closed=False) if layers.outline else
             np.ones((height, width), dtype=bool))
    if layers.outline and not board.any():  # an open outline: fall back to its box
        board = np.ones((height, width), dtype=bool)
    copper = _plots(layers.copper.get(side, []), grid) & board
    has_mask = side in layers.mask
    opening = _plots(layers.mask.get(side, []), grid) & board
    silk = _plots(layers.silk.get(side, []), grid) & board & ~opening
    holes = fill([_hole_shape(h) for h in layers.holes], grid) if layers.holes else \
        np.zeros_like(board)

    # one palette index per pixel, then colours (premultiplied: transparent is black)
    index = np.zeros((height, width), dtype=np.uint8)
    if has_mask:
        index[board] = 1
        index[board & copper] = 2
        index[opening & ~copper] = 3
        index[opening & copper] = 4
    else:
        index[board] = 3
        index[copper] = 5
    index[silk] = 6
    index[holes] = 0
    s = SUPERSAMPLE
    h2, w2 = height // s * s, width // s * s
    rgba = _PALETTE[index[:h2, :w2]]
    summed = rgba.reshape(h2 // s, s, w2 // s, s, 4).sum(axis=(1, 3), dtype=np.uint32)
    alpha = summed[..., 3:4]
    # undo the premultiplication where anything is left
    colour = np.where(alpha > 0, summed[..., :3] * 255 // np.maximum(alpha, 1), 0)
    out = np.concatenate([colour, alpha // (s * s)], axis=2)
    return np.clip(out, 0, 255).astype(np.uint8)


def board_grid(layers: BoardLayers, side: str, size: int = 1024) -> Grid:
    """Where each millimetre of the board lands, at ``SUPERSAMPLE`` times the image."""
    box = layers.bounds()
    if box is None:
        raise ValueError("the archive has nothing to draw")
    x0, y0, x1, y1 = box
    margin = max(x1 - x0, y1 - y0) * 0.02 or 1.0
    x0, y0, x1, y1 = x0 - margin, y0 - margin, x1 + margin, y1 + margin
    size = max(16, min(int(size), _MAX_PIXELS))
    scale = size * SUPERSAMPLE / max(x1 - x0, y1 - y0)
    width = max(SUPERSAMPLE, round((x1 - x0) * scale))
    height = max(SUPERSAMPLE, round((y1 - y0) * scale))
    return Grid(x0, y1, scale, width, height, mirror=side == "bottom")


def _plots(plots: list[gerber_plot.Plot], grid: Grid) -> np.ndarray:
    mask = np.zeros((grid.height, grid.width), dtype=bool)
    for plot in plots:
        for run in plot.runs:
            shape = fill(run.polygons, grid)
            mask = mask | shape if run.dark else mask & ~shape
    return mask


def _hole_shape(hole: excellon.Hole) -> np.ndarray:
    r = hole.diameter / 2
    if (hole.x, hole.y) == (hole.x2, hole.y2):
        return gerber_plot.circle(hole.x, hole.y, r)
    return gerber_plot.capsule(hole.x, hole.y, hole.x2, hole.y2, r)


def board_images(path: Path, assigned: dict[str, str] | None = None,
                 size: int = 1024) -> BoardImages:
    """Both sides of the board in ``path`` as PNGs; FileError if nothing can be drawn."""
    layers = read_layers(path, assigned)
    box = layers.bounds()
    if box is None:
        raise file_error(path, "the archive has no copper, mask or outline layer to draw.")
    try:
        top = encode_png(render_side(layers, "top", size))
        bottom = encode_png(render_side(layers, "bottom", size))
    except ValueError as exc:
        raise FileError(f"The board in {path.name} cannot be drawn: {exc}.") from None
    notes = tuple(f"{name} could not be drawn." for name in layers.unreadable)
    if not layers.outline:
        notes += ("No board outline: the picture shows the layers' extent.",)
    return BoardImages(top, bottom, round(box[2] - box[0], 2), round(box[3] - box[1], 2),
                       notes)
