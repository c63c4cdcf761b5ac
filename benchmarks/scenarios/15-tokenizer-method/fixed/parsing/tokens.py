class Tokenizer:
    def __init__(self, separator=","):
        self.separator = separator

    def second_field(self, line):
        fields = line.split(self.separator)
        return fields[1].strip() if len(fields) > 1 else ""
