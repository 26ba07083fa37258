from .models import LagSettings


def lag(request) -> dict:
    return {"lag": LagSettings.load()}
