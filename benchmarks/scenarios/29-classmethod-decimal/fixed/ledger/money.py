from decimal import Decimal


class Money:
    def __init__(self, amount):
        self.amount = amount

    @classmethod
    def parse(cls, text):
        return cls(Decimal(text.replace(",", ".")))
