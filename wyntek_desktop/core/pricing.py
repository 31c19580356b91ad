"""The pricing rule, mirrored exactly from SQL ``public.quote_job`` for offline estimates.

    factor = 1.00 if tol >= 0.2 else 1.25 if tol >= 0.1 else 1.60 if tol >= 0.05 else 2.00
    billed = max(volume_cm3, 0.1)           every process but PCB
           = max(board_area_cm2 or 0, 1.0)  PCB: the outline's bounding box, in cm2
    cost   = setup_tokens + ceil(quantity * billed * tokens_per_cm3 * factor * board)

A PCB material refuses a board with more copper layers than it makes. ``board`` is 1
for every other process; for a PCB it is the product of the customer's board options
(each 1.00 when not chosen, so a job without options costs what it always did):

    layers     fewer layers than the material is made for: 0.85, else 1.00
    thickness  BOARD_THICKNESS_FACTORS (1.6 mm is the standard board)
    finish     BOARD_FINISH_FACTORS (the finish is the job's ``finish``)

All arithmetic is exact ``Decimal`` (SQL ``numeric``), so both sides agree to the token.
The backend stays the authority: ``submit_job`` debits what ``quote_job`` returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation, localcontext
from typing import Any, Protocol

from wyntek_desktop.core.errors import ValidationError

MIN_QUANTITY = 1
MAX_QUANTITY = 10_000
MIN_TOLERANCE_MM = Decimal("0.01")
MAX_TOLERANCE_MM = Decimal("5")
MAX_VOLUME_CM3 = Decimal("10000000")
MIN_BILLED_VOLUME_CM3 = Decimal("0.1")
MIN_BILLED_BOARD_CM2 = Decimal("1.0")
MAX_BOARD_AREA_CM2 = Decimal("1000000")
MAX_COPPER_LAYERS = 64
MAX_COST = 2_147_483_647  # the SQL function returns a 32-bit integer
#: PCB options, the same tables as SQL quote_job (keys are what the spec form offers).
BOARD_THICKNESS_FACTORS: dict[Decimal, Decimal] = {
    Decimal("0.8"): Decimal("1.10"), Decimal("1.0"): Decimal("1.05"),
    Decimal("1.2"): Decimal("1.05"), Decimal("1.6"): Decimal("1.00"),
    Decimal("2.0"): Decimal("1.15"),
}
BOARD_FINISH_FACTORS: dict[str, Decimal] = {
    "HASL (lead-free)": Decimal("1.00"), "OSP": Decimal("1.00"), "ENIG": Decimal("1.20"),
    "Immersion silver": Decimal("1.15"), "Hard gold": Decimal("1.60"),
}
FEWER_LAYERS_FACTOR = Decimal("0.85")

Number = Decimal | int | float | str


class PricedMaterial(Protocol):
    @property
    def tokens_per_cm3(self) -> Decimal | int | float | str: ...

    @property
    def setup_tokens(self) -> int: ...


def tolerance_factor(tolerance_mm: Decimal) -> Decimal:
    if tolerance_mm >= Decimal("0.2"):
        return Decimal("1.00")
    if tolerance_mm >= Decimal("0.1"):
        return Decimal("1.25")
    if tolerance_mm >= Decimal("0.05"):
        return Decimal("1.60")
    return Decimal("2.00")


def _decimal(value: Number, what: str) -> Decimal:
    """Exact Decimal of a number; floats go through their shortest repr, as JSON sends them."""
    if isinstance(value, bool):
        raise ValidationError(f"{what} must be a number.")
    try:
        result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(f"{what} must be a number (got {value!r}).") from None
    if not result.is_finite():
        raise ValidationError(f"{what} must be a finite number (got {value!r}).")
    return result


@dataclass(frozen=True)
class Price:
    """A quote with the numbers it is made of, for the person to read.

    ``tokens == setup + ceil(quantity * billed * rate * every factor)``, exactly.
    """

    tokens: int
    setup: int
    billed: Decimal            # cm3 of volume, or cm2 of board for a PCB
    billed_unit: str           # "cm3" or "cm2"
    rate: Decimal              # tokens per billed unit
    quantity: int
    tolerance_factor: Decimal
    layers_factor: Decimal = Decimal("1.00")
    thickness_factor: Decimal = Decimal("1.00")
    finish_factor: Decimal = Decimal("1.00")
    board_layers: int | None = None
    board_thickness_mm: Decimal | None = None
    finish: str | None = None

    @property
    def per_part(self) -> Decimal:
        """Tokens of one part before the job's rounding (setup not included)."""
        return (self.billed * self.rate * self.tolerance_factor * self.layers_factor
                * self.thickness_factor * self.finish_factor)

    @property
    def variable(self) -> int:
        """What the parts cost together, rounded up once for the whole job."""
        return self.tokens - self.setup


def quote(material: PricedMaterial, volume_cm3: Number, quantity: int,
          tolerance_mm: Number, board_area_cm2: Number | None = None,
          copper_layers: int | None = None, board_layers: int | None = None,
          board_thickness_mm: Number | None = None, finish: str | None = None) -> int:
    """Token cost of a job, exactly as ``quote_job`` computes it; raises ValidationError."""
    return price(material, volume_cm3, quantity, tolerance_mm, board_area_cm2,
                 copper_layers, board_layers, board_thickness_mm, finish).tokens


def price(material: PricedMaterial, volume_cm3: Number, quantity: int,
          tolerance_mm: Number, board_area_cm2: Number | None = None,
          copper_layers: int | None = None, board_layers: int | None = None,
          board_thickness_mm: Number | None = None, finish: str | None = None) -> Price:
    """The quote and its parts, exactly as ``quote_job`` computes them.

    ``material.process`` (default: not PCB) and ``material.copper_layers`` are read when
    present; a PCB job is priced by ``board_area_cm2`` and its board options
    (``board_layers``, ``board_thickness_mm``, ``finish``), which other processes ignore.
    """
    if isinstance(quantity, bool) or not isinstance(quantity, int) \
            or not MIN_QUANTITY <= quantity <= MAX_QUANTITY:
        raise ValidationError(
            f"Quantity must be a whole number from {MIN_QUANTITY} to {MAX_QUANTITY} "
            f"(got {quantity!r}).")
    tolerance = _decimal(tolerance_mm, "Tolerance")
    if not MIN_TOLERANCE_MM <= tolerance <= MAX_TOLERANCE_MM:
        raise ValidationError(
            f"Tolerance must be between {MIN_TOLERANCE_MM} mm and {MAX_TOLERANCE_MM} mm "
            f"(got {tolerance_mm}).")
    volume = _decimal(volume_cm3, "Volume")
    if not Decimal(0) <= volume <= MAX_VOLUME_CM3:
        raise ValidationError(
            f"Volume must be between 0 and {MAX_VOLUME_CM3} cm3 (got {volume_cm3}).")
    area = None if board_area_cm2 is None else _decimal(board_area_cm2, "The board area")
    if area is not None and not Decimal(0) <= area <= MAX_BOARD_AREA_CM2:
        raise ValidationError(
            f"The board area must be between 0 and {MAX_BOARD_AREA_CM2} cm2 "
            f"(got {board_area_cm2}).")
    if copper_layers is not None and (isinstance(copper_layers, bool)
                                      or not 1 <= int(copper_layers) <= MAX_COPPER_LAYERS):
        raise ValidationError(f"A board has 1 to {MAX_COPPER_LAYERS} copper layers "
                              f"(got {copper_layers}).")
    if getattr(material, "active", True) is False:
        raise ValidationError(
            f"Material {getattr(material, 'id', '')!s} is not available; choose another one.")
    rate = _decimal(material.tokens_per_cm3, "The material's token rate")
    setup = int(material.setup_tokens)
    factor = tolerance_factor(tolerance)
    board = _BoardOptions()
    if getattr(material, "process", "") == "pcb":
        most = getattr(material, "copper_layers", None)
        if copper_layers is not None and most is not None and int(copper_layers) > int(most):
            raise ValidationError(
                f"This board has {copper_layers} copper layers but "
                f"{getattr(material, 'id', 'this material')} makes boards of up to {most}; "
                "choose a material with more layers.")
        board = _board_options(most, copper_layers, board_layers, board_thickness_mm, finish)
        billed = max(area if area is not None else Decimal(0), MIN_BILLED_BOARD_CM2)
        unit = "cm2"
    else:
        billed = max(volume, MIN_BILLED_VOLUME_CM3)
        unit = "cm3"

    with localcontext() as ctx:
        # Enough digits for every valid input: no rounding before the final ceiling.
        ctx.prec = 100
        raw = (quantity * billed * rate * factor * board.layers_factor
               * board.thickness_factor * board.finish_factor)
        cost = setup + int(raw.to_integral_value(rounding=ROUND_CEILING))
    if cost > MAX_COST:
        raise ValidationError(
            "This job is too large to price; reduce the quantity or the size.")
    return Price(cost, setup, billed, unit, rate, quantity, factor, board.layers_factor,
                 board.thickness_factor, board.finish_factor, board.layers,
                 board.thickness_mm, board.finish)


@dataclass(frozen=True)
class _BoardOptions:
    layers_factor: Decimal = Decimal("1.00")
    thickness_factor: Decimal = Decimal("1.00")
    finish_factor: Decimal = Decimal("1.00")
    layers: int | None = None
    thickness_mm: Decimal | None = None
    finish: str | None = None


def board_finish_key(finish: str | None) -> str | None:
    """The offered board finish named by ``finish`` (spaces around it aside), else None.

    Exact, like SQL's ``btrim(finish, ' ')``: a finish is chosen from the list, not typed.
    """
    if finish is None:
        return None
    wanted = finish.strip(" ")
    return wanted if wanted in BOARD_FINISH_FACTORS else None


def _board_options(most: int | None, copper_layers: int | None, board_layers: int | None,
                   thickness_mm: Number | None, finish: str | None) -> _BoardOptions:
    layers_factor = Decimal("1.00")
    if board_layers is not None:
        if isinstance(board_layers, bool) or not isinstance(board_layers, int) \
                or not (board_layers == 1 or (board_layers % 2 == 0
                                               and 2 <= board_layers <= MAX_COPPER_LAYERS)):
            raise ValidationError("A board is ordered with 1 layer or an even number of "
                                  f"layers up to {MAX_COPPER_LAYERS} (got {board_layers!r}).")
        if copper_layers is not None and board_layers < int(copper_layers):
            raise ValidationError(
                f"The archive has {copper_layers} copper layers, so the board needs at least "
                f"{copper_layers} layers (got {board_layers}).")
        if most is not None and board_layers > int(most):
            raise ValidationError(
                f"This material makes boards of up to {most} layers (got {board_layers}); "
                "choose a material with more layers.")
        if most is not None and board_layers < int(most):
            layers_factor = FEWER_LAYERS_FACTOR
    thickness = None if thickness_mm is None else _decimal(thickness_mm, "The board thickness")
    thickness_factor = Decimal("1.00")
    if thickness is not None:
        if thickness not in BOARD_THICKNESS_FACTORS:
            offered = ", ".join(f"{t}" for t in BOARD_THICKNESS_FACTORS)
            raise ValidationError(f"The board thickness must be one of {offered} mm "
                                  f"(got {thickness_mm}).")
        thickness_factor = BOARD_THICKNESS_FACTORS[thickness]
    key = board_finish_key(finish)
    if finish is not None and finish.strip(" ") and key is None:
        offered = ", ".join(BOARD_FINISH_FACTORS)
        raise ValidationError(f"'{finish.strip(' ')[:60]}' is not a finish offered for boards; "
                              f"choose one of {offered}.")
    finish_factor = BOARD_FINISH_FACTORS[key] if key is not None else Decimal("1.00")
    return _BoardOptions(layers_factor, thickness_factor, finish_factor, board_layers,
                         thickness, key)


# --- what a job is priced on, measured the same way by the desktop and the service ----

def job_volume_cm3(reports: Iterable[Any]) -> float:
    """The job's volume as the spec declares it (6 decimals)."""
    return round(float(sum(getattr(r, "volume_cm3", 0.0) or 0.0 for r in reports
                           if r is not None)), 6)


def board_measurements(reports: Iterable[Any]) -> tuple[float | None, int | None]:
    """(board area in cm2, copper layers) of the Gerber archives among ``reports``."""
    area: float | None = None
    layers: int | None = None
    for report in reports:
        gerber = getattr(report, "gerber", None)
        if gerber is None:
            continue
        if gerber.outline_mm:
            width, height = gerber.outline_mm
            area = round((area or 0.0) + width * height / 100.0, 4)
        if gerber.copper_layers:
            layers = max(layers or 0, int(gerber.copper_layers))
    return area, layers
