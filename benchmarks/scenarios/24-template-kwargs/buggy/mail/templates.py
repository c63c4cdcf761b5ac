def render(template, *args, **fields):
    return template.format(*args, **fields)
