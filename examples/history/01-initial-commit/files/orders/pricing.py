"""Prices, discounts and tax for orders."""

from decimal import Decimal

TAX_RATE = Decimal("0.20")


def line_total(unit_price, quantity):
    """Price of one order line."""
    return unit_price * quantity


def subtotal(lines):
    """Sum of all line totals of an order."""
    return sum((line_total(line.unit_price, line.quantity) for line in lines), Decimal("0"))


def apply_discount(amount, percent):
    """Amount after a percentage discount."""
    discounted = float(amount) * (1 - percent / 100)
    return Decimal(str(round(discounted, 2)))


def with_tax(amount):
    """Amount including VAT."""
    return amount * (1 + TAX_RATE)
