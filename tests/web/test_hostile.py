"""Hostile text from the server is shown as text: no markup runs, the layout holds."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.helpers import browser as web

pytestmark = pytest.mark.slow

RLO = "\u202e"
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>window.__pwned = 1; alert(2)</script>",
    "<svg onload=alert(3)><x-pwned>tag soup</x-pwned>",
    f"invoice{RLO}gnp.exe",
    "W" * 4000,
]

#: For each text node after the one holding `marker`: do its first and last
#: letter read left to right? A bidi override that leaked out of its message
#: would reverse them. Nodes that wrap or are hidden are not judged.
READING_ORDER = """(log, marker) => {
  const walker = document.createTreeWalker(log, NodeFilter.SHOW_TEXT);
  const word = /[A-Za-z0-9]/;
  let after = false;
  const checked = [], reversed = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!after) { after = node.data.includes(marker); continue; }
    const text = node.data;
    const first = text.search(word);
    let last = text.length - 1;
    while (last > first && !word.test(text[last])) last--;
    if (first < 0 || last <= first) continue;
    const box = (i) => {
      const range = document.createRange();
      range.setStart(node, i); range.setEnd(node, i + 1);
      return range.getBoundingClientRect();
    };
    const a = box(first), b = box(last);
    if (!a.width || !b.width || Math.abs(a.top - b.top) > 1) continue;
    checked.push(text.trim());
    if (a.left > b.left) reversed.push(text.trim());
  }
  return {checked, reversed};
}"""


def test_hostile_messages_render_as_inert_text(server, logged_in, rest, name):
    room = name("hostile")
    bob = rest(server, name("bob"))
    bob.create(room, topic="<img src=x onerror=alert(4)>")
    page = logged_in(server)
    web.join(page, room)

    bob.post(room, "a plain line first")
    for text in HOSTILE:
        bob.post(room, text)
    web.send(page, "<b>mine</b> <img src=x onerror=alert(5)>")
    bob.post(room, "canary after the storm")

    log = web.message_log(page)
    expect(log.get_by_text("canary after the storm")).to_have_count(1)
    content = log.text_content()
    for text in [*HOSTILE, "<b>mine</b> <img src=x onerror=alert(5)>"]:
        assert text in content, text[:60]
    # Nothing ran and nothing became an element.
    assert page.dialogs == []
    assert page.evaluate("window.__pwned") is None
    assert log.locator("img").count() == 0
    assert page.locator("img[src='x'], x-pwned, script:not([src])").count() == 0
    assert log.locator("b, svg[onload], [onerror], [onload]").count() == 0
    # An <img src=x> made from the text would have asked the server for /x.
    assert [url for url in page.requests if urlsplit(url).path == "/x"] == []
    # The 4,000-character word wraps inside the log; the page does not scroll sideways.
    widths = log.evaluate(
        "log => [log.scrollWidth, log.clientWidth,"
        " document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert widths[0] <= widths[1] + 1, f"log scrollWidth {widths[0]} > clientWidth {widths[1]}"
    assert widths[2] <= widths[3] + 1, f"page scrollWidth {widths[2]} > viewport {widths[3]}"
    # The override stays inside its message: what follows reads left to right.
    order = log.evaluate(READING_ORDER, RLO)
    assert any("canary after the storm" in text for text in order["checked"]), order
    assert order["reversed"] == [], order
    assert page.errors == []
