def pairs(items):
    result = []
    for index in range(len(items) - 1):
        result.append((items[index], items[index + 1]))
    return result


def deltas(items):
    return [right - left for left, right in pairs(items)]
