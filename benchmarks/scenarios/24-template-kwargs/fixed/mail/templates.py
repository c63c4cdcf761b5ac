import string


class _Blank(dict):
    def __missing__(self, key):
        return ""


def render(template, *args, **fields):
    return string.Formatter().vformat(template, args, _Blank(fields))
