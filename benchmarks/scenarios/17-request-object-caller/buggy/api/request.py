class Request:
    def __init__(self, raw):
        path, _, query = raw.partition("?")
        self.path = path
        self.params = dict(pair.split("=", 1) for pair in query.split("&") if pair)
