"""Basic statistics over samples."""


def average(values):
    return sum(values) / len(values)
