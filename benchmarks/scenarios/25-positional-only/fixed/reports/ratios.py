def percent(part, whole, /, digits=1):
    if whole == 0:
        return 0.0
    return round(100 * part / whole, digits)
