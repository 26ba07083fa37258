"""The "seen" beacon's proof: the server signs the key of each settled write it renders, and
the beacon accepts only keys it signed. A client can't claim to have seen what it was never
shown, nor a write it drew itself (the naive "Done!", a pending copy)."""

from django.core import signing

from store import log

SIGNER = signing.Signer(salt="shell-game.seen")
MAX_KEYS = 100  # per report


class BadReport(ValueError):
    """Not 1 to MAX_KEYS items, or one this server never showed."""


def token(key: str) -> str:
    return SIGNER.sign(key)


def key_of(value: str) -> str:
    """The key a token was made for; raises signing.BadSignature for anything else."""
    return SIGNER.unsign(value)


def keys_of(tokens: list) -> list[str]:
    """The keys of a report's tokens (the beacon's or a socket's), strict: raises BadReport for
    anything but 1 to MAX_KEYS tokens this server signed."""
    if not tokens or len(tokens) > MAX_KEYS or not all(isinstance(t, str) for t in tokens):
        raise BadReport(f"Send 1 to {MAX_KEYS} items.")
    try:
        return sorted({log.clean_key(key_of(t)) for t in tokens})
    except (signing.BadSignature, log.CommandError):
        raise BadReport("Not an item this server showed.") from None
