"""Due dates."""

from datetime import date, timedelta


def due_date(issued: date, terms_days: int) -> date:
    return issued + timedelta(days=terms_days)


def days_late(due: date, paid: date) -> int:
    return (paid - due).days
