_SYMBOLS = {}
_BUILTIN = {"EUR": "€", "USD": "$", "GBP": "£"}


def register(code, symbol):
    _SYMBOLS[code] = symbol


def symbol_for(code):
    return _SYMBOLS.get(code) or _BUILTIN.get(code, code)
