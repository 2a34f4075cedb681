"""Rate limits on sign-in and costly endpoints (the ``limits`` library).

The default storage is in memory, per process; set ``ratelimit.storage`` to
a ``limits`` storage URI (``redis://...``, ``memcached://...``) when several
portal processes serve one library.
"""
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from zope.interface import Interface, implementer


class IRateLimiter(Interface):
    """Count hits per key and say when a key has had too many."""


@implementer(IRateLimiter)
class RateLimiter:
    def __init__(self, storage_uri="memory://", rules=None):
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self.rules = {name: parse(rule) for name, rule in (rules or {}).items()}

    def hit(self, rule, *key):
        """Record one hit; False when the limit was already reached."""
        return self.limiter.hit(self.rules[rule], rule, *key)

    def test(self, rule, *key):
        return self.limiter.test(self.rules[rule], rule, *key)

    def clear(self, rule, *key):
        self.limiter.clear(self.rules[rule], rule, *key)

    def retry_after(self, rule, *key):
        stats = self.limiter.get_window_stats(self.rules[rule], rule, *key)
        import time
        return max(1, int(stats.reset_time - time.time()))


def includeme(config):
    settings = config.get_settings()
    rules = {
        # failed sign-ins for one login from one address, and from one address overall
        "login": settings.get("ratelimit.login", "5/15minutes"),
        "login_ip": settings.get("ratelimit.login_ip", "30/15minutes"),
        "search": settings.get("ratelimit.search", "120/minute"),
        "api_write": settings.get("ratelimit.api_write", "300/minute"),
        "register": settings.get("ratelimit.register", "10/hour"),   # online card applications
        # IIIF Content Search and autocomplete (a viewer asks once per keystroke)
        "iiif_search": settings.get("ratelimit.iiif_search", "60/minute"),
        "iiif_autocomplete": settings.get("ratelimit.iiif_autocomplete", "300/minute"),
        # uploads of scans to digitize (each starts an OCR job), per user
        "digitize": settings.get("ratelimit.digitize", "30/hour"),
    }
    limiter = RateLimiter(settings.get("ratelimit.storage", "memory://"), rules)
    config.register_service(limiter, IRateLimiter)
    # by name too, for packages that may not import portal (iiif)
    config.register_service(limiter, name="ratelimit")
