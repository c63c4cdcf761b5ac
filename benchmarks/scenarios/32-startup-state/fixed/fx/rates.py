_RATE = 1.0


def configure(rate):
    global _RATE
    _RATE = rate if rate else 1.0


def convert(amount):
    return round(amount / _RATE, 2)
