import json


def load_payload(body):
    data = json.loads(body)
    return data.get("event", "unknown")
