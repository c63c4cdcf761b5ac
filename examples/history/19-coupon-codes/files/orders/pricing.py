"""Prices, discounts and tax for orders."""

from decimal import ROUND_HALF_UP, Decimal

TAX_RATE = Decimal("0.20")
CENT = Decimal("0.01")

# (threshold, percent) from the highest threshold down.
DISCOUNT_TIERS = [
    (Decimal("1000.00"), 10),
    (Decimal("500.00"), 5),
]

COUPONS = {
    "WELCOME10": 10,
    "SUMMER15": 15,
    "STAFF30": 30,
}


class UnknownCoupon(ValueError):
    """Raised for a coupon code that does not exist."""


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


def tier_percent(amount):
    """Discount percentage earned by an order of this size."""
    for threshold, percent in DISCOUNT_TIERS:
        if amount >= threshold:
            return percent
    return 0


def with_tax(amount):
    """Amount including VAT, rounded to the cent."""
    return (amount * (1 + TAX_RATE)).quantize(CENT, rounding=ROUND_HALF_UP)


def coupon_percent(code):
    """Discount percentage of a coupon code; no code means no discount."""
    if code is None:
        return 0
    normalised = code.strip().upper()
    if normalised not in COUPONS:
        raise UnknownCoupon(code)
    return COUPONS[normalised]


def price_order(lines, coupon=None):
    """Total to charge for the lines: the better of tier and coupon discount, then VAT."""
    amount = subtotal(lines)
    percent = max(tier_percent(amount), coupon_percent(coupon))
    return with_tax(apply_discount(amount, percent))
