_RATE = 1.0


def configure(rate):
    global _RATE
    _RATE = rate


def convert(amount):
    return round(amount / _RATE, 2)
