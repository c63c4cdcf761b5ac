def take_two(queue):
    first = queue.pop(0)
    second = queue.pop(0)
    return first + second
