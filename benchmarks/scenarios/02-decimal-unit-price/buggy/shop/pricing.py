from decimal import ROUND_HALF_UP, Decimal


def unit_price(total: Decimal, quantity: int) -> Decimal:
    price = total / quantity
    return price.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
