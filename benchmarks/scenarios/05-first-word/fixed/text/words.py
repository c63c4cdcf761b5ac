def first_word(title):
    words = title.split()
    return words[0] if words else ""


def headline(title):
    return first_word(title).upper()
