"""Signed, expiring access tokens for restricted items (digital loans).

Circulation issues a token when a reader borrows a digital item or an
audiobook; the IIIF, PDF and audio endpoints accept it (query parameter
``access`` or header ``X-Serepok-Access``) in place of a staff permission.

A token names the item's uid, the reader and its expiry; it is signed with
HMAC-SHA256 under a key derived from the portal secret, so it cannot be
forged or moved to another item, and it stops working at its expiry. Tokens
are short-lived (circulation issues them for an hour at most and issues a new
one while the loan is active), so an early return closes access within that
hour; bumping the item's ``access_epoch`` closes every token of the item at once.
"""
import base64
import hashlib
import hmac
import json
import time

from zope.interface import Interface, implementer

__all__ = ["IAccessTokens", "AccessTokens", "token_from_request"]


class IAccessTokens(Interface):
    def issue(item_uid, reader_id, expires_at, epoch=0):
        """A token (str) giving access to the item until ``expires_at`` (epoch seconds)."""

    def verify(token, item_uid, epoch=0, now=None):
        """The token's claims (dict) when valid for this item now, else None."""


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@implementer(IAccessTokens)
class AccessTokens:
    def __init__(self, secret):
        if isinstance(secret, str):
            secret = secret.encode("utf-8")
        self._key = hashlib.sha256(b"serepok-access-token\0" + secret).digest()

    def _sign(self, body):
        return hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest()

    def issue(self, item_uid, reader_id, expires_at, epoch=0):
        claims = {"i": item_uid, "r": reader_id, "x": int(expires_at), "e": int(epoch)}
        body = _b64(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
        return body + "." + _b64(self._sign(body))

    def verify(self, token, item_uid, epoch=0, now=None):
        if not token or not isinstance(token, str) or token.count(".") != 1 or len(token) > 512:
            return None
        body, signature = token.split(".")
        try:
            given = _unb64(signature)
            claims = json.loads(_unb64(body))
        except (ValueError, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(given, self._sign(body)):
            return None
        if not isinstance(claims, dict) or claims.get("i") != item_uid:
            return None
        if claims.get("e") != int(epoch):
            return None
        if claims.get("x", 0) <= (time.time() if now is None else now):
            return None
        return claims


def token_from_request(request):
    """The access token a request carries, or None."""
    return request.params.get("access") or request.headers.get("X-Serepok-Access") or None
