import csv


def import_rows(stream):
    rows = []
    for row in csv.DictReader(stream):
        quantity = row["qty"]
        rows.append((row["sku"], int(quantity) if quantity.isdigit() else 0))
    return rows
