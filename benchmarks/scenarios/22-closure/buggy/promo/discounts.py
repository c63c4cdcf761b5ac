def make_divider(parts):
    def share(amount):
        return amount / parts

    return share
