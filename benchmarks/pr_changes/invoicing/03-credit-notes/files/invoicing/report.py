"""A one-line summary of an invoice for the ledger export."""

from invoicing.dates import days_late
from invoicing.totals import invoice_total


def summary_line(number, lines, due, paid):
    late = days_late(due, paid)
    return f"{number}: {invoice_total(lines):.2f} ({late} days late)"
