def parse_header(line):
    name, _, value = line.partition(": ")
    key, _, token = value.partition(" ")
    return name, key, int(token) if token.isdigit() else None
