from decimal import Decimal

from orders.models import OrderLine
from orders.pricing import apply_discount, subtotal, with_tax


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


def test_tax_is_added():
    assert with_tax(Decimal("100.00")) == Decimal("120.00")
