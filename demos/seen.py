"""The "seen" beacon's proof: the server signs the key of each settled write it renders, and
the beacon accepts only keys it signed. A client can't claim to have seen what it was never
shown, nor a write it drew itself (the naive "Done!", a pending copy)."""

from django.core import signing

SIGNER = signing.Signer(salt="shell-game.seen")


def token(key: str) -> str:
    return SIGNER.sign(key)


def key_of(value: str) -> str:
    """The key a token was made for; raises signing.BadSignature for anything else."""
    return SIGNER.unsign(value)
