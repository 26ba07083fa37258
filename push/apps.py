from django.apps import AppConfig


class PushConfig(AppConfig):
    name = "push"

    def ready(self) -> None:
        """Listen to the store: it announces what happened and never calls the web layers."""
        from demos import shared
        from demos.signals import judged
        from store import signals

        from . import broadcast

        signals.accepted.connect(broadcast.accepted, dispatch_uid="push.accepted")
        signals.settled.connect(broadcast.settled, dispatch_uid="push.settled")
        signals.lag_changed.connect(broadcast.lag_changed, dispatch_uid="push.lag_changed")
        signals.reset.connect(broadcast.everything_changed, dispatch_uid="push.reset")
        signals.seen.connect(broadcast.seen, dispatch_uid="push.seen")
        signals.withdrawn.connect(broadcast.withdrawn, dispatch_uid="push.withdrawn")
        signals.progressed.connect(broadcast.progressed, dispatch_uid="push.progressed")
        judged.connect(broadcast.judged, dispatch_uid="push.judged")
        # Not the store's: a read one page made, for the demo's other pages.
        shared.read_shared.connect(broadcast.shared, dispatch_uid="push.shared")
