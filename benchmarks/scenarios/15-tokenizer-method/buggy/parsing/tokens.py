class Tokenizer:
    def __init__(self, separator=","):
        self.separator = separator

    def second_field(self, line):
        return line.split(self.separator)[1].strip()
