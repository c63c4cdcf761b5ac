import re


def parse_quantity(text):
    match = re.match(r"\s*(\d+)", text)
    return int(match.group(1)) if match else 0
