def first_word(title):
    return title.split()[0]


def headline(title):
    return first_word(title).upper()
