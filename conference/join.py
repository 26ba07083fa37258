"""The address the audience types or scans to join, and its QR code (drawn here, no network)."""

import ipaddress
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.http import HttpRequest
from django.http.request import split_domain_port
from django.utils.safestring import SafeString, mark_safe

WILDCARD_HOSTS = ("0.0.0.0", "::")


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _reachable(host: str) -> bool:
    """A host other machines can use: not loopback, not link-local, not a bare 'localhost'."""
    ip = _ip(host)
    if ip is None:
        return host.lower() != "localhost"
    return not (ip.is_loopback or ip.is_link_local or ip.is_unspecified)


def lan_hosts() -> list[str]:
    """This machine's LAN addresses that the app accepts, IPv4 first.

    Taken from ALLOWED_HOSTS (which settings fill from the LAN addresses with HOST=0.0.0.0),
    so the address we advertise is always one the server answers.
    """
    hosts = [h for h in settings.ALLOWED_HOSTS if _ip(h) is not None and _reachable(h)]
    return sorted(hosts, key=lambda h: (_ip(h).version, not _ip(h).is_private))


def join_url(request: HttpRequest) -> str:
    """Where phones should go: the address the presenter used, if others can reach it, else
    the LAN address when serving the LAN (HOST=0.0.0.0), else this request's own address.

    Asked on the presenter's own web process (the stage, loopback only), never its address:
    the audience's port, on the LAN address, the host the audience's processes serve, or
    this request's host, in that order."""
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL + "/"
    domain, _ = split_domain_port(request.get_host())
    if on_stage(request):
        host = settings.HOST if settings.HOST not in WILDCARD_HOSTS else next(iter(lan_hosts()), domain)
        return f"{request.scheme}://{_bracketed(host)}:{settings.PORT}/"
    if _reachable(domain) or settings.HOST not in WILDCARD_HOSTS:
        return request.build_absolute_uri("/")
    lan = lan_hosts()
    if not lan:
        return request.build_absolute_uri("/")
    return f"{request.scheme}://{lan[0]}:{settings.PORT}/"


def on_stage(request: HttpRequest) -> bool:
    """Whether `request` came to the presenter's own web process (the port it listens on,
    as Daphne reports it: not a header the client chose)."""
    return bool(settings.STAGE_PORT) and request.META.get("SERVER_PORT") == str(settings.STAGE_PORT)


def _bracketed(host: str) -> str:
    ip = _ip(host)
    return f"[{host.strip('[]')}]" if ip is not None and ip.version == 6 else host


def is_local_only(url: str) -> bool:
    return not _reachable(urlsplit(url).hostname or "localhost")


def qr_svg(url: str) -> SafeString:
    """The QR code of `url` as inline SVG that scales to its box (viewBox, no fixed size)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=1, border=4, dark="#000", light="#fff", omitsize=True, svgclass="qr", lineclass=None)
    # segno writes only path data and the colours above; the URL itself is not in the markup.
    return mark_safe(svg)  # noqa: S308
