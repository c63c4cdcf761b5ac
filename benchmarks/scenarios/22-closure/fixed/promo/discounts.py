def make_divider(parts):
    def share(amount):
        return amount / parts if parts else amount

    return share
