import datetime


def nightly_price(check_in: datetime.date, check_out: datetime.date, total: float) -> float:
    nights = (check_out - check_in).days
    return total / nights
