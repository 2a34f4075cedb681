"""iiif package of Serepok."""


def includeme(config):
    """Nothing to register yet: later issues fill this package."""
