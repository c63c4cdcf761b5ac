"""Due dates."""

from datetime import date, timedelta


def due_date(issued: date, terms_days: int) -> date:
    if terms_days < 0:
        raise ValueError("terms cannot be negative")
    due = issued + timedelta(days=terms_days)
    while due.weekday() >= 5:
        due = due + timedelta(days=1)
    return due


def days_late(due: date, paid: date) -> int:
    return max((paid - due).days, 0)
