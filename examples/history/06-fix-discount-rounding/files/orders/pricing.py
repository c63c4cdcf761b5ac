"""Prices, discounts and tax for orders."""

from decimal import ROUND_HALF_UP, Decimal

TAX_RATE = Decimal("0.20")
CENT = Decimal("0.01")


def line_total(unit_price, quantity):
    """Price of one order line."""
    return unit_price * quantity


def subtotal(lines):
    """Sum of all line totals of an order."""
    return sum((line_total(line.unit_price, line.quantity) for line in lines), Decimal("0"))


def apply_discount(amount, percent):
    """Amount after a percentage discount, rounded half-up to the cent."""
    if percent < 0 or percent > 100:
        raise ValueError(f"discount must be between 0 and 100, got {percent}")
    discounted = amount * (Decimal(100) - Decimal(percent)) / Decimal(100)
    return discounted.quantize(CENT, rounding=ROUND_HALF_UP)


def with_tax(amount):
    """Amount including VAT, rounded to the cent."""
    return (amount * (1 + TAX_RATE)).quantize(CENT, rounding=ROUND_HALF_UP)
