"""Looking at pages as the back row and a screen reader do: the type's rendered size, the axe-core
audit, and a staff session in presenter mode. Used by tests/test_accessibility.py and bench/fonts.py."""

from __future__ import annotations

from dataclasses import dataclass

# Every text node drawn in `root` and its size on screen in CSS px: an SVG's text is scaled by its
# viewBox, so its computed font size is multiplied by the picture's scale. What no one sees (the
# visually hidden, display: none, a zero box) is left out; text below the fold is measured too.
TEXT_SIZES_JS = """
(root) => {
  const scope = document.querySelector(root);
  if (!scope) return [];
  const out = [];
  const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  // Clipped to nothing (the visually-hidden pattern): for screen readers only.
  const clipped = (el, top) => {
    for (let e = el; e && e !== top; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.clipPath === 'inset(50%)' || (cs.clip !== 'auto' && cs.position === 'absolute')) return true;
    }
    return false;
  };
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || el.closest('script, style, template')) continue;
    range.selectNodeContents(node);
    if (![...range.getClientRects()].some((r) => r.width > 0 && r.height > 0)) continue;
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible' || clipped(el, scope)) continue;
    let size = parseFloat(style.fontSize);
    if (el instanceof SVGElement) {
      const m = el.getScreenCTM();
      if (m) size *= Math.hypot(m.a, m.b);
    }
    const where = el.closest('[id]');
    out.push({size: Math.round(size * 10) / 10, text: text.slice(0, 40), tag: el.tagName.toLowerCase(),
              cls: String(el.className.baseVal ?? el.className), where: where ? where.id : ''});
  }
  return out;
}
"""

MINIMUM_PX = 20  # issue 25: no text in the demo area under this, in presenter mode at 1280×720
POINT_PX = 32

# What carries the point on a demo page: the items' texts, the scores, the counts, the verdicts
# and the lag badge (issue 25: at least 32 px on the projector).
POINT_SELECTORS = (
    "[data-item-id] .text",
    "[data-score] .scoreline strong",
    "[data-counter]",
    "[data-verdict]",
    "[data-lag-badge]",
)

POINT_SIZES_JS = """
(selectors) => {
  const out = [];
  for (const selector of selectors) {
    for (const el of document.querySelectorAll(selector)) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || !el.textContent.trim()) continue;
      out.push({selector, size: parseFloat(getComputedStyle(el).fontSize), text: el.textContent.trim().slice(0, 30)});
    }
  }
  return out;
}
"""


@dataclass(frozen=True)
class Smallest:
    size: float
    count: int  # text nodes at that size
    examples: tuple[str, ...]


def text_sizes(page, root: str = "[data-demo]") -> list[dict]:
    return page.evaluate(TEXT_SIZES_JS, root)


def smallest(sizes: list[dict]) -> Smallest | None:
    if not sizes:
        return None
    low = min(s["size"] for s in sizes)
    at = [s for s in sizes if s["size"] == low]
    return Smallest(low, len(at), tuple(f"{s['tag']}.{s['cls']} “{s['text']}”" for s in at[:3]))


def point_sizes(page) -> list[dict]:
    return page.evaluate(POINT_SIZES_JS, list(POINT_SELECTORS))


def log_in_as_presenter(page, base_url: str, username: str, password: str) -> None:
    """Log a staff user in through the admin's form and turn presenter mode on for the session."""
    page.goto(f"{base_url}/admin/login/?next=/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(base_url + "/")
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
    page.request.post(base_url + "/presenter/", form={"on": "1"}, headers={"X-CSRFToken": token})


SERIOUS = ("serious", "critical")


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] not in SERIOUS:
            continue
        targets = [", ".join(node["target"]) for node in violation["nodes"]][:4]
        lines.append(f"{violation['impact']} {violation['id']} ({len(violation['nodes'])}): {' | '.join(targets)}")
    return lines
