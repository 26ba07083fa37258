"""What one push costs the process that publishes it (the worker, after an apply): the app's
`push.channel.send`, the same group send through `async_to_sync` (a fresh event loop, and with
it a fresh Redis connection, per call), and a bare redis-py PUBLISH of the same bytes, against
one embedded Redis started here.

.venv/bin/python -m bench.publish [sends]
"""

import os
import subprocess
import sys
import time

from showcase.stack import free_port, redis_binary, wait_for


def timed(fn, n: int) -> float:
    fn()  # warm: connections, imports
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) * 1000 / n


def measure(sends: int = 200) -> dict:
    port = free_port()
    server = subprocess.Popen(
        [redis_binary(), "--port", str(port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL
    )
    try:
        import redis

        bare = redis.Redis(port=port)
        wait_for(lambda: bare.ping(), 10, "redis", server)
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "showcase.settings")
        import django

        django.setup()
        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer

        from push.channel import send

        html = "<li>" + "x" * 290 + "</li>"
        message = {"type": "html.fragment", "html": html}
        return {
            "sends": sends,
            "app": timed(lambda: send("bench", html), sends),
            "async_to_sync": timed(lambda: async_to_sync(get_channel_layer().group_send)("bench", message), sends),
            "bare": timed(lambda: bare.publish("bench", html), sends),
        }
    finally:
        server.kill()
        server.wait()


def report(r: dict) -> str:
    return (
        f"one group send of 300 bytes, mean of {r['sends']}: push.channel.send {r['app']:.2f} ms · "
        f"through async_to_sync {r['async_to_sync']:.2f} ms · bare PUBLISH {r['bare']:.2f} ms"
    )


if __name__ == "__main__":
    print(report(measure(*(int(a) for a in sys.argv[1:]))))
