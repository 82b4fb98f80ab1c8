"""The web client's weight and speed: bundle size, time to interactive, memory with 5,000 messages.

    .venv/bin/python -m bench.web_client [--runs 10] [--messages 5000]

Builds the bundle if need be, starts `cli.py serve` on a throwaway SQLite file
(limits off) and drives Debian's headless Chromium through Playwright:

- bundle: app.js and app.css as built, and gzipped (level 6, what a reverse
  proxy serves; chatapp itself sends them uncompressed);
- time to interactive, median of `--runs` fresh browser contexts: from
  navigation start (performance.timeOrigin) to the composer ("Message") being
  enabled, (a) a returning user whose session cookie is set, (b) a new visit
  that logs in through the form (fill and click by Playwright);
- memory: the page's JS heap (CDP Performance.getMetrics JSHeapUsedSize, after
  a forced garbage collection), DOM nodes and the page renderer's PSS, with
  the room open and empty, after half and then all of `--messages` messages
  arrived live, after scrolling a fresh page back through all of them
  (history pages), and after scrolling that page down to the newest again and
  one more message arriving (while it follows the newest, the client keeps a
  bounded log: KEEP_LATEST in web/src/state.ts).
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from bench.common import CHATAPP_BENCH_ENV, save
from tests.helpers import browser as web
from tests.helpers.server import ServerProcess, server_env
from tests.helpers.wait import wait_for

ROOM = "busy"

#: performance.now() once the text box named "Message" is enabled and shown
#: (checked every animation frame); a close reading of its accessible name.
COMPOSER_READY = """() => {
  const text = (el) => (el ? el.textContent.trim() : '');
  for (const el of document.querySelectorAll('textarea, input, [contenteditable]')) {
    const names = [el.getAttribute('aria-label'), ...Array.from(el.labels || [], text)];
    const by = el.getAttribute('aria-labelledby');
    if (by) names.push(by.split(/\\s+/).map((id) => text(document.getElementById(id))).join(' '));
    const shown = !el.disabled && el.getClientRects().length > 0;
    if (shown && names.includes('Message')) return performance.now();
  }
  return false;
}"""


def bundle_sizes() -> dict[str, dict[str, int]]:
    """Bytes of each built file, raw and gzipped."""
    sizes = {}
    for path in sorted(web.BUNDLE.parent.glob("app.*")):
        if path.suffix in (".js", ".css"):
            data = path.read_bytes()
            sizes[path.name] = {"raw": len(data), "gzip": len(gzip.compress(data, 6))}
    return sizes


def renderer_pss_mib(page: Page) -> float:
    """Proportional resident memory (PSS) of the renderer that did the most work: the page's.

    The JS heap leaves out the DOM (Blink's own heap), layout and caches; the
    renderer process holds all of them. PSS shares shared pages out fairly.
    """
    cdp = page.context.browser.new_browser_cdp_session()
    processes = cdp.send("SystemInfo.getProcessInfo")["processInfo"]
    cdp.detach()
    busiest = max((p for p in processes if p["type"] == "renderer"), key=lambda p: p["cpuTime"])
    for line in Path(f"/proc/{busiest['id']}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def heap(page: Page) -> dict[str, float]:
    """JS heap used and allocated (MiB) after a full garbage collection, and DOM nodes."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("HeapProfiler.collectGarbage")
    cdp.send("Performance.enable")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    cdp.detach()
    return {
        "js_heap_mib": round(metrics["JSHeapUsedSize"] / 2**20, 1),
        "js_heap_total_mib": round(metrics["JSHeapTotalSize"] / 2**20, 1),
        "dom_nodes": int(metrics["Nodes"]),
        "renderer_pss_mib": renderer_pss_mib(page),
    }


def time_to_interactive(chromium, url: str, runs: int) -> dict[str, float]:
    """Median ms from navigation start to an enabled composer, with and without a login."""
    cookie, form = [], []
    for _ in range(runs):
        context = chromium.new_context(base_url=url)
        page = context.new_page()
        page.goto("/")
        web.log_in(page, "reader")
        expect(web.composer(page)).to_be_enabled()
        page.goto("/")  # the same user coming back: the session cookie is set
        cookie.append(page.wait_for_function(COMPOSER_READY, polling="raf").json_value())
        context.close()

        context = chromium.new_context(base_url=url)
        page = context.new_page()
        page.goto("/")
        page.get_by_label("Username", exact=True).fill("reader")
        page.get_by_label("Password", exact=True).fill(web.PASSWORD)
        page.get_by_role("button", name="Log in", exact=True).click()
        form.append(page.wait_for_function(COMPOSER_READY, polling="raf").json_value())
        context.close()
    return {
        "with_cookie_ms": round(statistics.median(cookie), 1),
        "log_in_ms": round(statistics.median(form), 1),
        "with_cookie_all_ms": [round(v, 1) for v in cookie],
        "log_in_all_ms": [round(v, 1) for v in form],
    }


def post_all(url: str, count: int, first: int = 1) -> float:
    """`count` messages into ROOM over REST from 4 writers, numbered from `first`; seconds taken."""
    writers = [web.Rest(url, f"writer{n}") for n in range(4)]
    for writer in writers:
        writer.join(ROOM)
    started = time.monotonic()
    with ThreadPoolExecutor(len(writers)) as pool:
        list(
            pool.map(
                lambda n: writers[n % len(writers)].post(ROOM, f"message number {n:05d}"),
                range(first, first + count),
            )
        )
    for writer in writers:
        writer.close()
    return time.monotonic() - started


def shown(log) -> int:
    """How many of the posted messages the log holds."""
    return log.evaluate("log => (log.textContent.match(/message number \\d{5}/g) || []).length")


def memory(chromium, url: str, count: int) -> dict:
    """Heap and DOM with ROOM open: empty, live, scrolled back, and back down at the newest."""
    result: dict = {}
    page = chromium.new_context(base_url=url).new_page()
    web.log_in(page, "reader")
    web.join(page, ROOM)
    result["empty_room"] = heap(page)
    # Half, then the rest: a log that keeps growing grows between the two readings.
    half = count // 2
    posting = post_all(url, half)
    expect(web.message_log(page).get_by_text(f"message number {half:05d}")).to_have_count(
        1, timeout=120_000
    )
    result["live_half"] = heap(page)
    posting += post_all(url, count - half, half + 1)
    result["posting_s"] = round(posting, 1)
    last = f"message number {count:05d}"
    expect(web.message_log(page).get_by_text(last)).to_have_count(1, timeout=120_000)
    result["live"] = heap(page)
    result["shown_live"] = shown(web.message_log(page))
    page.context.close()

    page = chromium.new_context(base_url=url).new_page()
    web.log_in(page, "reader")
    web.join(page, ROOM)
    log = web.message_log(page)
    expect(log.get_by_text(last)).to_have_count(1)
    result["after_join"] = heap(page)
    started = time.monotonic()

    def scrolled_to_the_first():
        log.hover()
        page.mouse.wheel(0, -100_000)
        return log.get_by_text("message number 00001").count() == 1

    wait_for(scrolled_to_the_first, 600, 0.1, "the first message after scrolling up")
    result["scroll_back_s"] = round(time.monotonic() - started, 1)
    result["scrolled_back"] = heap(page)
    result["shown_after_scrolling"] = shown(log)

    # Back down to the newest, and one more message arrives.
    def at_the_bottom():
        log.hover()
        page.mouse.wheel(0, 10_000_000)
        return log.evaluate("log => log.scrollHeight - log.scrollTop - log.clientHeight < 2")

    wait_for(at_the_bottom, 60, 0.1, "the log scrolled down to the newest")
    writer = web.Rest(url, "writer0")
    newest = f"message number {count + 1:05d}"
    writer.post(ROOM, newest)
    writer.close()
    expect(log.get_by_text(newest)).to_have_count(1)
    result["back_at_bottom"] = heap(page)
    result["shown_back_at_bottom"] = shown(log)
    page.context.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--messages", type=int, default=5000)
    args = parser.parse_args()
    if web.bundle_is_stale():
        web.build_bundle()
    results: dict = {"bundle": bundle_sizes()}
    with tempfile.TemporaryDirectory(prefix="web-bench-") as work:
        env = server_env(f"sqlite:///{Path(work) / 'chat.db'}", **CHATAPP_BENCH_ENV)
        server = ServerProcess(env, log_path=Path(work) / "server.log").start()
        try:
            web.Rest(server.url, "reader").join(ROOM)
            with sync_playwright() as driver:
                chromium = web.launch(driver)
                results["chromium"] = chromium.version
                results["tti"] = time_to_interactive(chromium, server.url, args.runs)
                results["memory"] = memory(chromium, server.url, args.messages)
                chromium.close()
        finally:
            server.stop()
    save("web_client", results)
    report(results, args)


def report(results: dict, args) -> None:
    print("| file | raw KiB | gzipped KiB |\n|---|---|---|")
    for name, size in results["bundle"].items():
        print(f"| {name} | {size['raw'] / 1024:.1f} | {size['gzip'] / 1024:.1f} |")
    tti = results["tti"]
    print(f"\ntime to interactive, median of {args.runs} (Chromium {results['chromium']}):")
    print(f"- returning user (cookie): {tti['with_cookie_ms']} ms  {tti['with_cookie_all_ms']}")
    print(f"- logging in through the form: {tti['log_in_ms']} ms  {tti['log_in_all_ms']}")
    mem = results["memory"]
    print(f"\nmemory, room of {args.messages} messages:")
    print("| page | JS heap used / allocated MiB | DOM nodes | renderer PSS MiB |")
    print("|---|---|---|---|")
    keys = ("empty_room", "live_half", "live", "after_join", "scrolled_back", "back_at_bottom")
    for key in keys:
        m = mem[key]
        print(
            f"| {key} | {m['js_heap_mib']} / {m['js_heap_total_mib']} | {m['dom_nodes']} "
            f"| {m['renderer_pss_mib']} |"
        )
    print(
        f"- posting took {mem['posting_s']} s; scrolling back {mem['scroll_back_s']} s; "
        f"{mem['shown_after_scrolling']} messages in the log after scrolling"
    )
    print(
        f"- messages in the log: {mem['shown_live']} live, "
        f"{mem['shown_back_at_bottom']} back at the bottom after one more"
    )


if __name__ == "__main__":
    main()
