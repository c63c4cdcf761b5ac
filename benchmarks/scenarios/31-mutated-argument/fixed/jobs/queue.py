def take_two(queue):
    if len(queue) < 2:
        return sum(queue)
    first = queue.pop(0)
    second = queue.pop(0)
    return first + second
