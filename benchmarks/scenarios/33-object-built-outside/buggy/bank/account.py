class Account:
    def __init__(self, number, members):
        self.number = number
        self.members = members

    def fee_share(self, fee):
        return fee / self.members
