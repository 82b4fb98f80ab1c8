// The current room's messages (role="log"): author, text, local time, a
// separator for each new day; presence and moderation as quiet lines; older
// messages on scrolling up; lines still being sent at the end.
// Drawn incrementally (append, prepend), so a long room stays cheap; while
// the newest are followed, the oldest entries go (state.ts, KEEP_LATEST) with
// their day separators.

import { h, userText } from "../dom";
import { author, clock, dayKey, dayName, fullTime, seconds } from "../labels";
import type { Connection } from "../protocol";
import type { Item, Store } from "../state";
import { commandResult } from "./results";

/** Closer to the top than this (px), the previous page loads. */
const LOAD_OLDER_AT = 300;
const AT_END_SLACK = 40;

function when(item: Item): Date {
  return item.kind === "message" ? new Date(item.message.ts) : item.at;
}

function stamp(date: Date, iso?: string): HTMLTimeElement {
  return h("time", { datetime: iso ?? date.toISOString(), title: fullTime(date) }, clock(date));
}

function render(item: Item, me: string): HTMLElement {
  switch (item.kind) {
    case "message": {
      const { message } = item;
      return h(
        "article",
        { class: `msg${message.user === me ? " mine" : ""}`, "data-seq": message.seq },
        h("div", { class: "meta" }, h("bdi", { class: "author" }, author(message.user)), " ", stamp(new Date(message.ts), message.ts)),
        h("div", { class: "text", dir: "auto" }, message.text),
        "\n", // not drawn (between blocks); keeps messages apart in the log's text
      );
    }
    case "line":
      return h("p", { class: `line ${item.tone}` }, stamp(item.at), " ", userText(item.text, "span"), "\n");
    case "result":
      return commandResult(item.command, item.result);
    case "refused":
      return h(
        "div",
        { class: "msg refused" },
        h("div", { class: "meta" }, h("strong", {}, "Not sent: "), userText(item.reason, "span")),
        h("div", { class: "text", dir: "auto" }, item.text),
        "\n",
      );
  }
}

function separator(date: Date): HTMLElement {
  const name = dayName(date);
  return h("div", { class: "day", role: "separator", "aria-label": name, "data-day": dayKey(date) }, h("span", {}, name), "\n");
}

export function timeline(store: Store, connection: Connection): HTMLElement {
  const items = h("div", { class: "items" });
  const pending = h("div", { class: "pending" });
  const olderButton = h("button", { type: "button", class: "older" }, "Load older messages");
  const start = h("p", { class: "start hint" });
  const log = h(
    "div",
    { class: "log", role: "log", "aria-labelledby": "room-title", tabindex: "0" },
    h("div", { class: "log-top" }, olderButton, start),
    items,
    pending,
  );
  let lastDay: string | null = null;
  /** Each drawn entry's node, to find where the kept ones start after a trim; new on each reset. */
  let drawn = new WeakMap<Item, Element>();
  const me = store.me.username;
  const room = () => store.room(store.current);
  const atEnd = () => log.scrollHeight - log.scrollTop - log.clientHeight < AT_END_SLACK;
  store.atEnd = atEnd;

  /** Items as nodes, each day change preceded by its separator. */
  function nodes(list: Item[], day: string | null): [Node[], string | null] {
    const out: Node[] = [];
    for (const item of list) {
      const date = when(item);
      if (dayKey(date) !== day) {
        day = dayKey(date);
        out.push(separator(date));
      }
      const node = render(item, me);
      drawn.set(item, node);
      out.push(node);
    }
    return [out, day];
  }

  function top(): void {
    const current = room();
    olderButton.hidden = !current?.loaded || !current.hasOlder;
    olderButton.disabled = !!current?.loadingOlder;
    olderButton.textContent = current?.loadingOlder ? "Loading older messages…" : "Load older messages";
    start.textContent = current?.loaded && !current.hasOlder ? `This is the start of ${current.label}.` : "";
    if (current && !current.loaded) start.textContent = "Loading…";
  }

  /** A short page cannot be scrolled up: load older messages until it can. */
  function topUp(): void {
    const current = room();
    if (current?.loaded && current.hasOlder && log.scrollHeight <= log.clientHeight + LOAD_OLDER_AT) {
      void connection.rooms.older(current);
    }
  }

  function reset(): void {
    queued = []; // room.items has them
    drawn = new WeakMap(); // the last room's nodes go with its old map
    const current = room();
    const [list, day] = nodes(current?.loaded ? current.items : [], null);
    items.replaceChildren(...list);
    lastDay = day;
    top();
    drawPending();
    log.scrollTop = log.scrollHeight;
    topUp();
  }

  // A burst of messages is drawn once per frame, not once per message.
  let queued: Item[] = [];
  function append(list: Item[]): void {
    if (!queued.length) requestAnimationFrame(flush);
    queued.push(...list);
  }

  function flush(): void {
    if (!queued.length) return;
    const follow = atEnd();
    const [added, day] = nodes(queued, lastDay);
    queued = [];
    items.append(...added);
    lastDay = day;
    if (follow) log.scrollTop = log.scrollHeight;
    connection.reads.seen();
  }

  function prepend(list: Item[]): void {
    const [added] = nodes(list, null);
    const first = items.firstElementChild as HTMLElement | null;
    const lastAdded = list.length ? dayKey(when(list[list.length - 1])) : null;
    if (first?.dataset.day && first.dataset.day === lastAdded) first.remove(); // same day goes on
    const height = log.scrollHeight;
    items.prepend(...added);
    log.scrollTop += log.scrollHeight - height; // what was on screen stays put
    topUp();
  }

  /** The oldest entries were dropped (we follow the newest): their nodes, and their days' separators, go. */
  function trim(dropped: Item[]): void {
    const gone = new Set(dropped);
    queued = queued.filter((item) => !gone.has(item));
    const first = room()?.items[0];
    const node = first && drawn.get(first);
    if (!first || !node?.isConnected) {
      items.replaceChildren(); // every entry drawn went; what is queued starts with its own day
      lastDay = null;
    } else {
      const previous = node.previousElementSibling as HTMLElement | null;
      const keepFrom = previous?.dataset.day ? previous : node; // its day's separator stays
      while (items.firstChild && items.firstChild !== keepFrom) items.firstChild.remove();
      if (keepFrom === node) items.prepend(separator(when(first)));
    }
    top();
    log.scrollTop = log.scrollHeight;
  }

  function drawPending(): void {
    const current = room();
    const follow = atEnd();
    const waiting = current ? connection.sender.waiting(current.name) : [];
    pending.replaceChildren(
      ...waiting.map((item) => {
        const wait = item.notBefore - Date.now();
        const first = item === connection.sender.queue.find((queued) => !queued.delivered);
        const state =
          item.note && wait > 0
            ? `${item.note} ${seconds(wait)}.`
            : !connection.canSend()
              ? "Not sent yet: waiting for the connection."
              : first
                ? "Sending…"
                : "Queued.";
        return h(
          "div",
          { class: "msg pending" },
          h("div", { class: "meta" }, h("bdi", { class: "author" }, me), " ", h("span", { class: "state" }, state)),
          h("div", { class: "text", dir: "auto" }, item.text),
          "\n",
        );
      }),
    );
    if (follow) log.scrollTop = log.scrollHeight;
  }

  olderButton.addEventListener("click", () => {
    const current = room();
    if (current) void connection.rooms.older(current);
  });
  log.addEventListener("scroll", () => {
    const current = room();
    if (current && log.scrollTop < LOAD_OLDER_AT) void connection.rooms.older(current);
    if (atEnd()) connection.reads.seen();
  });
  store.subscribe((change) => {
    const current = store.current;
    if (change.type === "current") reset();
    else if (change.type === "reset" && change.room === current) reset();
    else if (change.type === "append" && change.room === current) append(change.items);
    else if (change.type === "prepend" && change.room === current) prepend(change.items);
    else if (change.type === "trim" && change.room === current) trim(change.items);
    else if (change.type === "older" && change.room === current) top();
    else if (change.type === "pending" || change.type === "status") drawPending();
  });
  reset();
  return log;
}
