"""The Python pricing mirror: the rule's edges and validation (SQL parity is in
tests/localstack/test_pricing_parity.py)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from wyntek_desktop.core.errors import ValidationError
from wyntek_desktop.core.pricing import quote, tolerance_factor


@dataclass
class Mat:
    tokens_per_cm3: Decimal
    setup_tokens: int
    active: bool = True
    id: str = "test"


PLA = Mat(Decimal("1.20"), 15)


@pytest.mark.parametrize(("tolerance", "factor"), [
    ("5", "1.00"), ("0.2", "1.00"), ("0.19999", "1.25"), ("0.1", "1.25"),
    ("0.0999", "1.60"), ("0.05", "1.60"), ("0.0499", "2.00"), ("0.01", "2.00"),
])
def test_tolerance_factor_boundaries(tolerance, factor):
    assert tolerance_factor(Decimal(tolerance)) == Decimal(factor)


def test_worked_examples():
    # 15 + ceil(2 * 12.5 * 1.20 * 1.00) = 15 + 30
    assert quote(PLA, Decimal("12.5"), 2, Decimal("0.2")) == 45
    # 15 + ceil(3 * 7.25 * 1.20 * 1.60) = 15 + ceil(41.76) = 57
    assert quote(PLA, Decimal("7.25"), 3, Decimal("0.08")) == 57
    # The minimum billed volume is 0.1 cm3: 15 + ceil(1 * 0.1 * 1.2 * 2) = 15 + 1
    assert quote(PLA, 0, 1, "0.01") == 16
    assert quote(PLA, "0.05", 1, "0.01") == 16


def test_exact_decimal_ceiling_has_no_float_drift():
    # 0.1 * 3 is exactly 0.3 in decimal; a float product would give 0.30000000000000004
    # and a ceiling of 1 extra token.
    mat = Mat(Decimal("1"), 0)
    assert quote(mat, Decimal("0.1"), 3, Decimal("1")) == 1
    assert quote(mat, 0.1, 30, 1) == 3
    assert quote(Mat(Decimal("0.7"), 0), "10", 1, "0.2") == 7


def test_inputs_of_every_numeric_type_agree():
    assert quote(PLA, 12.5, 2, 0.2) == quote(PLA, "12.5", 2, "0.2") == \
        quote(PLA, Decimal("12.5"), 2, Decimal("0.2"))


@pytest.mark.parametrize(("volume", "quantity", "tolerance", "fragment"), [
    (1, 0, "0.2", "Quantity"),
    (1, 10001, "0.2", "Quantity"),
    (1, True, "0.2", "Quantity"),
    (1, 1.0, "0.2", "Quantity"),
    (1, 1, "0.009", "Tolerance"),
    (1, 1, "5.01", "Tolerance"),
    (1, 1, "NaN", "Tolerance"),
    (-0.001, 1, "0.2", "Volume"),
    ("10000000.01", 1, "0.2", "Volume"),
    ("Infinity", 1, "0.2", "Volume"),
    ("lots", 1, "0.2", "Volume"),
])
def test_invalid_inputs_raise_validation_error(volume, quantity, tolerance, fragment):
    with pytest.raises(ValidationError) as err:
        quote(PLA, volume, quantity, tolerance)
    assert fragment in str(err.value)


def test_inactive_material_is_refused():
    with pytest.raises(ValidationError):
        quote(Mat(Decimal("1"), 0, active=False), 1, 1, "0.2")


def test_too_large_jobs_are_refused_like_the_database():
    with pytest.raises(ValidationError) as err:
        quote(Mat(Decimal("100000"), 0), "10000000", 10000, "0.01")
    assert "too large" in str(err.value)
