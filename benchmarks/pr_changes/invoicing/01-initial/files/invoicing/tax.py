"""VAT rates and tax amounts."""

RATES = {"standard": 0.2, "reduced": 0.05, "zero": 0.0}


def tax_for(amount: float, category: str) -> float:
    return amount * RATES[category]
