"""The Prepare page's token estimate: the service's pricing rule applied to the files'
checked volumes, with a sentence for every file that cannot be priced (no Qt here).

The service decides the real price at submission; this only mirrors ``quote_job``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol


class EstimatedFile(Protocol):
    """What the estimate needs to know about one opened file."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def report(self) -> Any: ...

    @property
    def error(self) -> str | None: ...

    @property
    def known(self) -> bool: ...


TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass(frozen=True)
class Line:
    """One line of the price, as a person reads it: what, how it is counted, tokens."""

    label: str
    detail: str
    tokens: str
    level: int = 0           # 1: a part of the file above


@dataclass(frozen=True)
class Estimate:
    text: str                                            # the line under the form
    problems: list[str] = field(default_factory=list)    # why some files cannot be priced
    pending: bool = False                                # still measuring a file
    tokens: int | None = None                            # the price, when priced
    lines: tuple[Line, ...] = ()                         # the breakdown, when priced

    @property
    def priced(self) -> bool:
        return not self.pending and not self.problems and "tokens" in self.text


def format_cm3(volume: float) -> str:
    """A volume in cm³ that never reads as 0.00 for a real, small part."""
    if volume == 0:
        return "0 cm³"
    if volume < 0.001:
        return "under 0.001 cm³"
    if volume < 1:
        return f"{volume:.3f} cm³"
    return f"{volume:,.2f} cm³"


def job_estimate(files: Sequence[EstimatedFile], material: Any, quantity: int,
                 tolerance_mm: float, board_layers: int | None = None,
                 board_thickness_mm: float | None = None,
                 finish: str | None = None) -> Estimate:
    """The estimate line, its breakdown and, per file, why it cannot be priced.

    ``board_layers``, ``board_thickness_mm`` and ``finish`` are the PCB options (the
    service ignores them for other processes, and so does this)."""
    from wyntek_desktop.core import pricing
    from wyntek_desktop.core.errors import ValidationError

    if material is None or not files:
        return Estimate("Estimate: —")
    pending = [f for f in files if not f.error and (not f.known or f.report is None)]
    if pending:
        what = pending[0].name if len(pending) == 1 else f"{len(pending)} files"
        return Estimate(f"Estimate: estimating… (measuring {what})", pending=True)
    limit = pricing.MAX_VOLUME_CM3
    problems: list[str] = []
    volume = 0.0
    for f in files:
        if f.kind != "model":
            continue  # drawings, Gerber archives and attachments add no volume
        if f.error:
            problems.append(f"{f.name} cannot be priced: it could not be read.")
            continue
        v = float(getattr(f.report, "volume_cm3", 0.0) or 0.0)
        if Decimal(str(v)) > limit:
            problems.append(f"{f.name} cannot be priced: its volume, {v:,.0f} cm³, is more "
                            f"than the {limit:,} cm³ one job can hold.")
            continue
        volume += v
    if problems:
        return Estimate("Estimate: —", problems)
    if Decimal(str(round(volume, 6))) > limit:
        return Estimate("Estimate: —", [
            f"The files together measure {volume:,.0f} cm³, more than the {limit:,} cm³ "
            "one job can hold: split them into several jobs."])
    # A PCB is priced by its board (the Gerber outline), as the service measures it.
    area, layers = pricing.board_measurements(f.report for f in files
                                      if f.kind == "gerber" and f.report is not None)
    is_pcb = getattr(material, "process", "") == "pcb"
    thickness = None if board_thickness_mm is None else Decimal(str(board_thickness_mm))
    try:
        price = pricing.price(material, Decimal(str(round(volume, 6))), quantity,
                              Decimal(str(tolerance_mm)), area, layers,
                              board_layers if is_pcb else None,
                              thickness if is_pcb else None, finish if is_pcb else None)
    except ValidationError as exc:
        return Estimate("Estimate: —", [str(exc)])
    tokens = price.tokens
    lines = tuple(breakdown(files, price, is_pcb))
    if is_pcb:
        board = f"board {area:,.2f} cm²" if area is not None else "board size unknown"
        return Estimate(f"Estimate: {tokens:,} tokens ({board})", tokens=int(tokens),
                        lines=lines)
    return Estimate(f"Estimate: {tokens:,} tokens ({format_cm3(volume)})", tokens=int(tokens),
                    lines=lines)


def _tokens(value: Decimal) -> str:
    """An unrounded share of the price, to the hundredth."""
    return f"{value.quantize(Decimal('0.01')):,}"


def _factors(price: Any) -> str:
    """The multipliers after the rate, each with what it stands for."""
    parts = [f"{TIMES} {price.tolerance_factor} tolerance"]
    if price.board_layers is not None:
        what = (f"{price.board_layers} layers" if price.layers_factor == 1 else
                f"{price.board_layers} layers, fewer than the material's")
        parts.append(f"{TIMES} {price.layers_factor} {what}")
    if price.board_thickness_mm is not None:
        parts.append(f"{TIMES} {price.thickness_factor} {price.board_thickness_mm} mm thick")
    if price.finish is not None:
        parts.append(f"{TIMES} {price.finish_factor} {price.finish}")
    return " ".join(parts)


def breakdown(files: Sequence[EstimatedFile], price: Any, is_pcb: bool) -> list[Line]:
    """Setup, each file (and each listed part of a file with several) with how it is
    counted, the quantity and the one rounding: the last line is ``price.tokens``."""
    lines = [Line("Setup", "once per job", f"{price.setup:,}")]
    factors = _factors(price)
    unit = "cm²" if is_pcb else "cm³"
    rate = f"{price.rate} tokens/{unit}"
    per_unit = price.rate * price.tolerance_factor * price.layers_factor \
        * price.thickness_factor * price.finish_factor
    if is_pcb:
        boards = [f for f in files if f.kind == "gerber" and f.report is not None]
        name = ", ".join(f.name for f in boards) or "the board"
        lines.append(Line(name, f"{price.billed:,} cm² of board {TIMES} {rate} {factors}",
                          _tokens(price.per_part)))
    else:
        models = [f for f in files if f.kind == "model" and f.report is not None]
        measured = Decimal(0)
        for f in models:
            v = Decimal(str(round(float(getattr(f.report, "volume_cm3", 0.0) or 0.0), 6)))
            measured += v
            lines.append(Line(f.name, f"{format_cm3(float(v))} {TIMES} {rate} {factors}",
                              _tokens(v * per_unit)))
            mesh = getattr(f.report, "mesh", None)
            bodies = list(getattr(mesh, "bodies", []) or [])
            if len(bodies) > 1:
                for body in bodies:
                    body_cm3 = Decimal(str(round(body.volume_mm3 / 1000, 6)))
                    lines.append(Line(f"part {body.index + 1}", format_cm3(float(body_cm3)),
                                      _tokens(body_cm3 * per_unit), level=1))
                more = int(getattr(mesh, "body_count", 0) or 0) - len(bodies)
                if more > 0:
                    lines.append(Line(f"and {more} smaller parts", "", "", level=1))
        if price.billed > measured:
            lines.append(Line("Minimum", f"at least {price.billed} cm³ are billed",
                              _tokens(price.per_part)))
    copies = "copy" if price.quantity == 1 else "copies"
    lines.append(Line(f"{TIMES} {price.quantity:,} {copies}",
                      f"{_tokens(price.per_part)} {TIMES} {price.quantity:,}, rounded up once",
                      f"{price.variable:,}"))
    lines.append(Line("Total", "what the service charges for this spec",
                      f"{price.tokens:,}"))
    return lines
