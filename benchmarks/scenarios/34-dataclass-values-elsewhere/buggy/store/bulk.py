from decimal import Decimal

BULK_MINIMUM = 50


def bulk_indexes(lines, minimum=BULK_MINIMUM):
    found = []
    for index in range(len(lines) + 1):
        if lines[index].quantity >= minimum:
            found.append(index)
    return found


def wholesale_total(lines):
    bulk = bulk_indexes(lines)
    total = Decimal("0")
    for index, line in enumerate(lines):
        rate = Decimal("0.9") if index in bulk else Decimal("1")
        total += line.unit_price * line.quantity * rate
    return total
