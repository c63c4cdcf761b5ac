from decimal import Decimal

import pytest

from orders.models import OrderLine
from orders.pricing import apply_discount, price_order, subtotal, tier_percent, with_tax


def test_subtotal_sums_every_line():
    lines = [
        OrderLine("MUG-01", 2, Decimal("7.50")),
        OrderLine("TEE-02", 1, Decimal("19.00")),
    ]
    assert subtotal(lines) == Decimal("34.00")


def test_subtotal_of_empty_order_is_zero():
    assert subtotal([]) == Decimal("0")


def test_discount_takes_percentage_off():
    assert apply_discount(Decimal("200.00"), 10) == Decimal("180.00")
    assert apply_discount(Decimal("19.99"), 15) == Decimal("16.99")


def test_discount_rounds_half_up_to_the_cent():
    # Regression for #12: float arithmetic gave 2.67 and 10.72.
    assert apply_discount(Decimal("5.35"), 50) == Decimal("2.68")
    assert apply_discount(Decimal("21.45"), 50) == Decimal("10.73")


@pytest.mark.parametrize("percent", [-5, 101])
def test_discount_outside_range_is_rejected(percent):
    with pytest.raises(ValueError):
        apply_discount(Decimal("10.00"), percent)


def test_tax_is_added():
    assert with_tax(Decimal("100.00")) == Decimal("120.00")


@pytest.mark.parametrize(
    ("amount", "percent"),
    [("499.99", 0), ("500.00", 5), ("999.99", 5), ("1000.00", 10), ("25000.00", 10)],
)
def test_tier_percent_follows_thresholds(amount, percent):
    assert tier_percent(Decimal(amount)) == percent


def test_price_order_applies_tier_and_tax():
    lines = [OrderLine("DESK-07", 2, Decimal("300.00"))]
    # 600.00 - 5% = 570.00, + 20% VAT
    assert price_order(lines) == Decimal("684.00")
