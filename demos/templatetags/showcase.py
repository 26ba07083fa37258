from django import template

from store.lag import format_ms

register = template.Library()


@register.filter
def ms(value: int) -> str:
    return format_ms(int(value))


@register.filter
def percent(value: float) -> str:
    return f"{value * 100:.0f} %"
