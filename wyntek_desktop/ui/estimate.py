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


@dataclass(frozen=True)
class Estimate:
    text: str                                            # the line under the form
    problems: list[str] = field(default_factory=list)    # why some files cannot be priced
    pending: bool = False                                # still measuring a file
    tokens: int | None = None                            # the price, when priced

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
                 tolerance_mm: float) -> Estimate:
    """The estimate line and, per file, why it cannot be priced."""
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
    try:
        tokens = pricing.quote(material, Decimal(str(round(volume, 6))), quantity,
                               Decimal(str(tolerance_mm)), area, layers)
    except ValidationError as exc:
        return Estimate("Estimate: —", [str(exc)])
    size = (f"{area:,.2f} cm² of board" if getattr(material, "process", "") == "pcb"
            and area is not None else format_cm3(volume))
    return Estimate(f"Estimate: {tokens:,} tokens ({size})", tokens=tokens)
