def parse_quantity(text):
    return int(text)
