"""Where this machine is on the local network (for `HOST=0.0.0.0` and the join page)."""

import socket


def lan_address() -> str:
    """The address phones on the same network reach this machine at."""
    try:
        # Connecting a UDP socket sends nothing; it only asks the kernel which address it would use.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            return probe.getsockname()[0]
    except OSError:
        return socket.gethostname()
