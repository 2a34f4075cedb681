"""The JSON API /api/v1 (filled in by the API module set)."""


def includeme(config):
    pass
