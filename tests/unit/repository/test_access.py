"""Access tokens of digital loans: valid only for their item, their epoch, and until expiry."""
import time

from repository.access import AccessTokens


def test_a_token_opens_its_item_until_it_expires():
    tokens = AccessTokens("s3cret")
    token = tokens.issue("item-1", 7, time.time() + 60)
    assert tokens.verify(token, "item-1")["r"] == 7
    assert tokens.verify(token, "item-2") is None
    assert tokens.verify(token, "item-1", now=time.time() + 61) is None


def test_a_token_is_refused_after_the_loan_ends_or_when_forged():
    tokens = AccessTokens("s3cret")
    token = tokens.issue("item-1", 7, time.time() + 60, epoch=3)
    assert tokens.verify(token, "item-1", epoch=3)
    assert tokens.verify(token, "item-1", epoch=4) is None          # returned early
    assert AccessTokens("other").verify(token, "item-1", epoch=3) is None
    body, sig = token.split(".")
    assert tokens.verify(body[:-2] + "xx." + sig, "item-1", epoch=3) is None
    for junk in ("", "abc", "a.b.c", "!!.??", None, "x" * 600):
        assert tokens.verify(junk, "item-1") is None
