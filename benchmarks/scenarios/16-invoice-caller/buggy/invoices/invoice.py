class Invoice:
    def __init__(self, lines, tax_rate):
        self.lines = lines
        self.tax_rate = tax_rate

    def tax_per_line(self):
        total = sum(line["amount"] for line in self.lines)
        return total * self.tax_rate / len(self.lines)
