import json


def load_payload(body):
    if not body.strip():
        return "unknown"
    data = json.loads(body)
    return data.get("event", "unknown")
