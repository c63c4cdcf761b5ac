from api.request import Request


def page_size(request):
    return int(request.params.get("size", 20))


def handle(raw):
    request = Request(raw)
    return {"path": request.path, "size": page_size(request)}
