from metrics.stats import average


def summary(name, values):
    mean = average(values)
    return f"{name}: {mean:.2f}"
