def chunks(items, size):
    size = max(1, size)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def batch_count(items, size):
    return len(list(chunks(items, size)))
