from dataclasses import dataclass, field


@dataclass
class Cart:
    items: list = field(default_factory=list)
    currency: str = "EUR"

    def total(self):
        return sum(item["price"] for item in self.items)

    def average_price(self):
        return self.total() / len(self.items)
