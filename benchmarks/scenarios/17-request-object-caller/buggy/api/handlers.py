from api.request import Request


def page_size(request):
    return int(request.params["size"])


def handle(raw):
    request = Request(raw)
    return {"path": request.path, "size": page_size(request)}
