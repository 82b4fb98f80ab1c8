// Rooms on screen: joining, and showing each message once, in order (the
// terminal client's chatclient/rooms.py).
//
// Per room, the highest `seq` shown; a message past a gap waits while
// `history` (after_seq) fills the gap, and messages that arrive while a first
// join is under way wait for its history. Scrolling back pages with
// `history` (before_seq), which also brings back what the store dropped to
// stay bounded (state.ts, KEEP_LATEST): dropped is not missing.

import type { Connection } from "./protocol";
import { errorOf } from "./replies";
import type { Item, RoomState, Store } from "./state";
import type { Joined, Message, RoomInfo } from "./types";

const HISTORY_PAGE = 100; // gap filling
const OLDER_PAGE = 50; // scrolling back
const OLDER_PAUSE_MS = 5000;
/** Why a room on screen cannot be joined again: deleted, private and left, banned. */
const GONE = ["not_found", "forbidden"];

export class Rooms {
  /** Rooms opened by the user: their welcome notice is shown (not on a quiet rejoin). */
  private welcome = new Map<string, string | null>();
  /** Live messages of rooms whose first join is under way: shown after its history. */
  private early = new Map<string, Message[]>();

  constructor(
    private store: Store,
    private connection: Connection,
  ) {
    // Whatever makes a room current (a click, a removal), it is shown: joined if need be.
    store.subscribe((change) => {
      const room = change.type === "current" ? store.room(store.current) : undefined;
      if (room && !room.loaded && connection.socket.connected) void this.join(room.name);
    });
  }

  private get me(): string {
    return this.store.me.username;
  }

  /** Show `name` (joining it first if it is not on screen yet); it becomes current. */
  async open(name: string, create = false): Promise<Joined> {
    const known = this.store.room(name);
    if (known?.loaded) {
      this.store.setCurrent(name);
      return { ok: true, name };
    }
    if (known) this.store.setCurrent(name);
    const joined = await this.join(name, { create });
    if (joined.ok) this.store.setCurrent(joined.name);
    return joined;
  }

  /** `join`: presence, the recent history (or the gap since the last seq shown), live from then. */
  join(name: string, options: { create?: boolean; quiet?: boolean } = {}): Promise<Joined> {
    const room = this.store.room(name);
    if (room?.joining) return room.joining;
    const joining = this.doJoin(name, options);
    if (room) {
      room.joining = joining;
      void joining.finally(() => (room.joining = null));
    }
    return joining;
  }

  private async doJoin(name: string, { create = false, quiet = false }): Promise<Joined> {
    const before = this.store.room(name);
    if (!before?.loaded) this.early.set(name, []);
    if (!quiet) this.welcome.set(name, null);
    const reply = await this.connection.call("join", { room: name, create });
    if (!reply?.ok) {
      this.early.delete(name);
      this.welcome.delete(name);
      const error = errorOf(reply);
      if (quiet && before && GONE.includes(error.code)) {
        this.store.notice(`${before.label} is no longer yours: ${error.message}`);
        this.store.forget(name);
      } else if (before && this.store.current === name && reply) {
        this.store.notice(`${before.label} did not open: ${error.message}`, "error");
      }
      return { ok: false, error };
    }
    const joined = reply.room as string;
    const seq = reply.seq as number;
    const history = reply.history as Message[];
    const known = this.store.room(joined)?.info.seq !== undefined;
    const room = this.store.learn({ ...(reply.room_info as RoomInfo), name: joined });
    if (!known) {
      // A new membership starts read (the server's rule): nothing is unread yet.
      // (Its read mark is left for the server to say: showing the room sends one.)
      Object.assign(room.info, { seq, unread: 0 });
    }
    room.users = reply.users as string[];
    room.online = reply.online as number;
    if (!room.loaded) {
      room.loaded = true;
      room.items = [];
      room.lastSeq = history.length ? history[0].seq - 1 : 0;
      room.oldestSeq = history.length ? history[0].seq : 0;
      this.store.emit({ type: "reset", room: joined });
    }
    const early = this.early.get(name) ?? [];
    this.early.delete(name);
    this.store.emit({ type: "info", room: joined });
    this.ingest(room, [...history, ...early]);
    if (seq > room.lastSeq) void this.fill(room, seq);
    const welcome = this.welcome.get(name);
    if (welcome) {
      this.welcome.delete(name); // it came before the ack: shown after the history
      this.store.line(joined, welcome);
    }
    return { ok: true, name: joined };
  }

  /** Show messages once each, in seq order; a gap is filled from `history` first. */
  ingest(room: RoomState, messages: Message[]): void {
    if (!room.loaded || this.store.room(room.name) !== room) return;
    for (const message of messages) {
      if (message.seq > room.lastSeq && !room.ahead.has(message.seq)) room.ahead.set(message.seq, message);
    }
    const added: Item[] = [];
    for (let next = room.ahead.get(room.lastSeq + 1); next; next = room.ahead.get(room.lastSeq + 1)) {
      room.ahead.delete(next.seq);
      room.lastSeq = next.seq;
      room.oldestSeq ||= next.seq;
      room.countNew(next, this.me);
      this.connection.sender.delivered(next);
      added.push({ kind: "message", message: next });
    }
    if (added.length) {
      this.store.append(room.name, added);
      this.store.emit({ type: "rooms" });
      this.connection.reads.seen();
    }
    if (room.ahead.size) void this.fill(room, 0);
  }

  private async fill(room: RoomState, upTo: number): Promise<void> {
    room.fillTo = Math.max(room.fillTo, upTo);
    if (room.filling) return;
    room.filling = true;
    try {
      for (;;) {
        const gapEnd = room.ahead.size ? Math.min(...room.ahead.keys()) - 1 : 0;
        const from = room.lastSeq;
        if (from >= Math.max(room.fillTo, gapEnd) || this.store.room(room.name) !== room) return;
        const reply = await this.connection.call("history", { room: room.name, after_seq: from, limit: HISTORY_PAGE });
        if (!reply?.ok) {
          // Out of history budget: again when it is back. No answer: the next connection's join.
          const wait = reply && !reply.ok && reply.error.code === "rate_limited" ? reply.error.retry_after : 0;
          if (wait) window.setTimeout(() => void this.fill(room, 0), wait * 1000);
          return;
        }
        this.ingest(room, reply.messages as Message[]);
        if (room.lastSeq === from) return; // nothing more to be had
      }
    } finally {
      room.filling = false;
    }
  }

  /** Scrolling back: the page of messages before the oldest shown. */
  async older(room: RoomState): Promise<void> {
    if (room.loadingOlder || !room.hasOlder || !room.loaded) return;
    room.loadingOlder = true;
    this.store.emit({ type: "older", room: room.name });
    const before = room.oldestSeq;
    const reply = await this.connection.call("history", { room: room.name, before_seq: before, limit: OLDER_PAGE });
    const done = (): void => {
      room.loadingOlder = false;
      this.store.emit({ type: "older", room: room.name });
    };
    if (!reply?.ok) {
      // Said once; scrolling up asks again after a pause, not at every scroll event.
      this.store.line(room.name, `Older messages did not load: ${errorOf(reply).message}`, "error");
      window.setTimeout(done, OLDER_PAUSE_MS);
      return;
    }
    if (room.oldestSeq !== before) {
      // Trimmed meanwhile (state.ts KEEP_LATEST): this page would leave a hole; the next scroll asks again.
      done();
      return;
    }
    const messages = (reply.messages as Message[])
      .filter((message) => message.seq < room.oldestSeq)
      .sort((a, b) => a.seq - b.seq);
    if (messages.length) {
      room.oldestSeq = messages[0].seq;
      const items: Item[] = messages.map((message) => ({ kind: "message", message }));
      room.items.unshift(...items);
      this.store.emit({ type: "prepend", room: room.name, items });
    } else {
      room.oldestSeq = 1; // nothing older after all
    }
    done();
  }

  // -- what the server tells --

  onMessage(message: Message): void {
    const early = this.early.get(message.room);
    if (early) {
      early.push(message); // shown after the join's history
      return;
    }
    const room = this.store.room(message.room);
    if (!room) return;
    if (room.loaded) {
      this.ingest(room, [message]);
    } else {
      room.countNew(message, this.me);
      this.store.emit({ type: "rooms" });
    }
  }

  onNotice(event: { room: string; text: string }): void {
    if (!this.welcome.has(event.room)) return;
    if (this.store.room(event.room)?.loaded) {
      this.welcome.delete(event.room);
      this.store.line(event.room, event.text);
    } else {
      this.welcome.set(event.room, event.text); // the join's history goes first
    }
  }
}
