_SYMBOLS = {}


def register(code, symbol):
    _SYMBOLS[code] = symbol


def symbol_for(code):
    return _SYMBOLS[code]
