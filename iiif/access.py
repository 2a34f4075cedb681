"""Which item an IIIF address names, and whether this request may see it.

Items are found by ``uid`` through the per-site catalogues (each
``SiteCatalog`` maps uids to docids and docids to paths), so no walk of the
repository is needed.  The rules:

- an item this request may not view (a draft, for a reader) does not exist:
  404, the same answer as for a uid nobody ever used;
- an item with ``access == "restricted"`` answers to staff of its site
  (``Permission.STAFF`` on the item: librarians and administrators of that
  site, managers) and to a request carrying a valid access token for it
  (``repository.access``), given as ``?access=``, the ``X-Serepok-Access``
  header or inside the address (``{uid}~{token}``, so that viewers, which
  cannot add headers, can follow the links of a manifest);
- anything else that may be viewed is open.

A restricted item that the request may view but not open answers 403 (its
record page is public; its pages and PDF are not).

``public`` says whether the answer may be kept by shared caches: only items
that everyone may view without a token.
"""
from dataclasses import dataclass

from pyramid.authorization import ACLHelper, Everyone
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound

from repository.access import IAccessTokens, token_from_request
from repository.catalog import find_by_uid
from repository.pages import RESTRICTED
from repository.resources import DigitalItem
from repository.security import Permission

__all__ = ["Grant", "find_item", "find_object", "item_access", "split_key",
           "is_public", "is_viewable_by_everyone"]


@dataclass(frozen=True)
class Grant:
    item: object
    public: bool          # anyone may see it: shared caches may keep it
    token: str = ""       # the token that opened a restricted item ("" otherwise)


def split_key(key):
    """``uid`` or ``uid~token`` → (uid, token)."""
    uid, _, token = key.partition("~")
    return uid, token


def find_item(root, uid):
    """The DigitalItem with this uid, or None."""
    obj = find_object(root, uid)
    return obj if isinstance(obj, DigitalItem) else None


def find_object(root, uid):
    """The repository object with this uid (through the site catalogues), or None."""
    return find_by_uid(root, uid)


def is_viewable_by_everyone(obj):
    return bool(ACLHelper().permits(obj, [Everyone], str(Permission.VIEW)))


def is_public(item):
    return getattr(item, "access", "open") != RESTRICTED and is_viewable_by_everyone(item)


def item_access(request, key):
    """The :class:`Grant` for the item named by ``key`` (``uid`` or ``uid~token``),
    or raise 404 for whoever may not see it."""
    uid, path_token = split_key(key)
    item = find_item(request.root, uid)
    if item is None or not request.has_permission(str(Permission.VIEW), item):
        raise HTTPNotFound()
    if getattr(item, "access", "open") != RESTRICTED:
        return Grant(item, public=is_public(item))
    token = path_token or token_from_request(request) or ""
    if token:
        tokens = request.registry.queryUtility(IAccessTokens)
        if tokens is not None and tokens.verify(
                token, item.uid, epoch=getattr(item, "access_epoch", 0)) is not None:
            return Grant(item, public=False, token=token)
    if request.has_permission(str(Permission.STAFF), item):
        return Grant(item, public=False)
    raise HTTPForbidden()
