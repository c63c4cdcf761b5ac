from decimal import ROUND_HALF_UP, Decimal


def unit_price(total: Decimal, quantity: int) -> Decimal:
    if quantity <= 0:
        return Decimal("0.00")
    price = total / quantity
    return price.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
