from datetime import date, datetime


def parse_day(text: str) -> date:
    for layout in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, layout).date()
        except ValueError:
            continue
    raise ValueError(f"unrecognised date {text!r}")
