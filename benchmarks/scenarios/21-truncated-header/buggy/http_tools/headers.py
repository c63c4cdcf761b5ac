def parse_header(line):
    name, value = line.split(": ")
    key, token = value.split(" ")
    return name, key, int(token)
