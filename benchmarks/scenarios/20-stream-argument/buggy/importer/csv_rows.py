import csv


def import_rows(stream):
    rows = []
    for row in csv.DictReader(stream):
        rows.append((row["sku"], int(row["qty"])))
    return rows
