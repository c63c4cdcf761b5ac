def percent(part, whole, /, digits=1):
    return round(100 * part / whole, digits)
