"""Invoice totals."""

from invoicing.tax import tax_for


def line_total(unit_price: float, quantity: int) -> float:
    return unit_price * quantity


def invoice_total(lines):
    total = 0.0
    for unit_price, quantity, category in lines:
        amount = line_total(unit_price, quantity)
        total += amount + tax_for(amount, category)
    return total
