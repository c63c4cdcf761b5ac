DEFAULT_TIMEOUT = 30


def timeout_seconds(settings):
    return int(settings.get("timeout", DEFAULT_TIMEOUT))
