"""Invoice totals."""

from invoicing.tax import tax_for


def line_total(unit_price: float, quantity: int) -> float:
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    total = unit_price * quantity
    if quantity >= 100:
        total = total * 0.97
    return round(total, 2)


def invoice_total(lines):
    total = 0.0
    for unit_price, quantity, category in lines:
        amount = line_total(unit_price, quantity)
        if category == "books":
            category = "reduced"
        total += amount + tax_for(amount, category)
    return round(total, 2)


def late_fee(total: float, days_late: int) -> float:
    if days_late <= 0:
        return 0.0
    months = (days_late + 29) // 30
    rate = min(0.015 * months, 0.10)
    return round(total * rate, 2)


def early_discount(total: float, days_early: int) -> float:
    if days_early >= 10:
        return round(total * 0.02, 2)
    return 0.0
