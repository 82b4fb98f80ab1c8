// The one module that speaks the protocol (docs/protocol.md), with the
// terminal client's algorithm (chatclient/session.py, rooms.py):
//
// - per room, the highest `seq` shown; every message is shown once, in order,
//   and a message past a gap waits while `history` (after_seq) fills the gap;
// - after a reconnect (`rooms` arrives first), rooms on screen are joined again
//   and their gaps filled before anything queued is resent (sending.ts: same
//   `client_id`, so it is stored once);
// - read marks for what is shown in a focused tab (reading.ts);
// - a login that ended (event, ack or refused connect) stops everything and
//   asks for a new login; what is unsent stays queued.

import { io, type Socket } from "socket.io-client";
import * as announce from "./announce";
import { ReadMarker } from "./reading";
import { Sender } from "./sending";
import type { Item, RoomState, Store } from "./state";
import type {
  ErrorInfo,
  Joined,
  MemberEvent,
  Message,
  PresenceEvent,
  RemovedEvent,
  Reply,
  RoomInfo,
} from "./types";

const ACK_TIMEOUT_MS = 10_000;
const HISTORY_PAGE = 100; // gap filling
const OLDER_PAGE = 50; // scrolling back
const RETRY_MAX_MS = 5_000;
/** Why a room on screen cannot be joined again: deleted, private and left, banned. */
const GONE = ["not_found", "forbidden"];

export const NO_ANSWER: ErrorInfo = { code: "timeout", message: "No answer from the server; try again." };

export function errorOf(reply: Reply | null): ErrorInfo {
  return reply && !reply.ok ? reply.error : NO_ANSWER;
}

export class Connection {
  readonly socket: Socket;
  readonly sender: Sender;
  readonly reads: ReadMarker;
  /** Connected and every room on screen joined again: sends may go. */
  synced = false;
  private connectedOnce = false;
  private ended = false;
  private closed = false;
  private syncRun = 0;
  private retryTimer: number | undefined;
  private retryDelay = 1000;
  /** Rooms opened by the user: their welcome notice is shown (not on a quiet rejoin). */
  private welcome = new Map<string, string | null>();

  constructor(
    private store: Store,
    private onLoginEnded: (message: string) => void,
  ) {
    // Same origin, with the session cookie. socket.io-client reconnects a lost
    // connection itself (backoff with jitter); a refused connect or the
    // server's own disconnect it leaves closed: scheduleRetry does those.
    this.socket = io({
      autoConnect: false,
      reconnectionDelay: 1000,
      reconnectionDelayMax: RETRY_MAX_MS,
      randomizationFactor: 0.5,
    });
    this.sender = new Sender(store, this);
    this.reads = new ReadMarker(store, this);
    this.listen();
    // Whatever makes a room current (a click, a removal), it is shown: joined if need be.
    store.subscribe((change) => {
      const room = change.type === "current" ? store.room(store.current) : undefined;
      if (room && !room.loaded && this.socket.connected) void this.join(room.name);
    });
  }

  get me(): string {
    return this.store.me.username;
  }

  start(): void {
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    this.socket.connect();
  }

  /** Disconnect for good (logging out): memberships stay on the server. */
  close(): void {
    this.closed = true;
    this.synced = false;
    window.clearTimeout(this.retryTimer);
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    this.sender.stop();
    this.reads.stop();
    this.socket.disconnect();
  }

  canSend(): boolean {
    return this.synced && this.socket.connected && !this.ended && !this.closed;
  }

  /** The ack, or null when none came (timeout, lost connection, not connected). */
  async call(event: string, data: object, timeout = ACK_TIMEOUT_MS): Promise<Reply | null> {
    if (!this.socket.connected) return null; // never queued: a resend is ours to decide
    let reply: unknown;
    try {
      reply = await this.socket.timeout(timeout).emitWithAck(event, data);
    } catch {
      return null;
    }
    if (!reply || typeof reply !== "object" || !("ok" in reply)) return null;
    const answer = reply as Reply;
    if (!answer.ok && answer.error?.code === "unauthorized") this.endLogin(answer.error.message);
    return answer;
  }

  // -- the connection --

  private listen(): void {
    const on = this.socket.on.bind(this.socket);
    on("connect", () => {
      this.retryDelay = 1000;
      this.store.setStatus("connected");
      // `rooms` comes first on every connection; ask for it should it not.
      window.setTimeout(() => this.socket.connected && !this.synced && this.askRooms(), 5000);
    });
    on("disconnect", (reason) => {
      this.synced = false;
      this.syncRun++;
      if (this.closed || this.ended) return;
      this.store.setStatus(navigator.onLine ? "reconnecting" : "offline");
      if (reason === "io server disconnect") this.scheduleRetry();
    });
    on("connect_error", (error: Error & { data?: Partial<ErrorInfo> }) => {
      if (this.closed || this.ended) return;
      if (error.data?.code === "unauthorized") {
        this.endLogin(error.data.message ?? error.message);
        return;
      }
      this.store.setStatus(navigator.onLine ? "reconnecting" : "offline");
      if (!this.socket.active) this.scheduleRetry(error.data?.retry_after);
    });
    on("unauthorized", (data: Partial<ErrorInfo>) => this.endLogin(data?.message));
    on("rooms", (data: { rooms?: RoomInfo[] }) => void this.sync(data?.rooms ?? []));
    on("message", (message: Message) => this.onMessage(message));
    on("presence", (event: PresenceEvent) => this.onPresence(event));
    on("notice", (event: { room: string; text: string }) => this.onNotice(event));
    on("member", (event: MemberEvent) => this.onMember(event));
    on("room_added", (event: { room: RoomInfo; by: string | null }) => this.onRoomAdded(event));
    on("removed", (event: RemovedEvent) => this.onRemoved(event));
    on("room_updated", (event: { room: RoomInfo }) => this.onRoomUpdated(event));
    on("read", (event: { room: string; last_read_seq: number }) => this.onRead(event));
  }

  /** The network is back: try at once, not at the end of the current backoff. */
  private onOnline = (): void => {
    if (!this.socket.connected && !this.closed && !this.ended) {
      this.store.setStatus("reconnecting");
      window.clearTimeout(this.retryTimer);
      this.socket.disconnect(); // ends the manager's backoff (no event: not connected)
      this.socket.connect();
    }
  };

  private onOffline = (): void => {
    if (!this.closed && !this.ended) this.store.setStatus("offline");
  };

  /** Reconnect later, with backoff and jitter (or when the server said `retry_after`). */
  private scheduleRetry(retryAfter?: number): void {
    window.clearTimeout(this.retryTimer);
    const jittered = this.retryDelay * (0.5 + Math.random());
    const delay = Math.max(jittered, (retryAfter ?? 0) * 1000);
    this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
    this.retryTimer = window.setTimeout(() => {
      if (!this.socket.connected && !this.socket.active && !this.closed && !this.ended) {
        this.socket.connect();
      }
    }, delay);
  }

  private endLogin(message?: string): void {
    if (this.ended || this.closed) return;
    this.ended = true;
    this.synced = false;
    this.store.setStatus("offline");
    this.sender.stop();
    this.reads.stop();
    window.setTimeout(() => this.socket.disconnect(), 0); // not from inside its own handler
    this.onLoginEnded(message ?? "Your login session has ended; log in again.");
  }

  private async askRooms(): Promise<void> {
    const reply = await this.call("my_rooms", {});
    if (reply?.ok && !this.synced) await this.sync(reply.rooms as RoomInfo[]);
  }

  /** A new connection's `rooms`: forget lost rooms, rejoin those on screen, then send. */
  private async sync(memberships: RoomInfo[]): Promise<void> {
    const run = ++this.syncRun;
    const mine = new Set(memberships.map((room) => room.name));
    for (const room of [...this.store.rooms.values()]) {
      if (!mine.has(room.name)) {
        this.store.notice(`You are no longer in ${room.label}.`); // kicked, banned, deleted meanwhile
        this.store.forget(room.name);
      }
    }
    for (const info of memberships) this.store.learn(info);
    const first = !this.connectedOnce;
    this.connectedOnce = true;
    for (const room of [...this.store.rooms.values()]) {
      if (room.loaded) await this.join(room.name, { quiet: true });
      if (run !== this.syncRun) return; // the connection was lost meanwhile: the next one syncs
    }
    if (first) {
      const remembered = this.store.remembered();
      const start = remembered && mine.has(remembered) ? remembered : this.store.sorted()[0]?.name;
      this.store.setCurrent(start ?? null);
    }
    const current = this.store.room(this.store.current);
    if (current && !current.loaded) await this.join(current.name);
    if (run !== this.syncRun) return;
    this.synced = true;
    this.sender.wake();
    this.reads.wake();
  }

  // -- rooms --

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
    if (before && !before.loaded) before.early = [];
    if (!quiet) this.welcome.set(name, null);
    const reply = await this.call("join", { room: name, create });
    if (!reply?.ok) {
      if (before) before.early = null;
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
      Object.assign(room.info, { seq, last_read_seq: seq, unread: 0 });
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
    const early = room.early ?? [];
    room.early = null;
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
      this.sender.delivered(next);
      added.push({ kind: "message", message: next });
    }
    if (added.length) {
      this.store.append(room.name, added);
      this.store.emit({ type: "rooms" });
      this.reads.seen();
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
        const reply = await this.call("history", { room: room.name, after_seq: from, limit: HISTORY_PAGE });
        if (!reply?.ok) return; // no answer: the next connection's join fills it
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
    const reply = await this.call("history", { room: room.name, before_seq: room.oldestSeq, limit: OLDER_PAGE });
    room.loadingOlder = false;
    if (reply?.ok) {
      const messages = (reply.messages as Message[])
        .filter((message) => message.seq < room.oldestSeq)
        .sort((a, b) => a.seq - b.seq);
      if (messages.length) {
        room.oldestSeq = messages[0].seq;
        const items: Item[] = messages.map((message) => ({ kind: "message", message }));
        room.items.unshift(...items);
        this.store.emit({ type: "prepend", room: room.name, items });
      }
    } else {
      this.store.line(room.name, `Older messages did not load: ${errorOf(reply).message}`, "error");
    }
    this.store.emit({ type: "older", room: room.name });
  }

  // -- what the server tells --

  private onMessage(message: Message): void {
    const room = this.store.room(message.room);
    if (!room) return;
    if (room.early) {
      room.early.push(message); // shown after the join's history
    } else if (room.loaded) {
      this.ingest(room, [message]);
    } else {
      room.countNew(message, this.me);
      this.store.emit({ type: "rooms" });
    }
  }

  private onPresence(event: PresenceEvent): void {
    const room = this.store.room(event.room);
    if (!room) return;
    room.users = event.users;
    room.online = event.online;
    this.store.emit({ type: "info", room: room.name });
    if (room.loaded && event.user !== this.me) {
      this.store.line(room.name, `${event.user} ${event.event === "join" ? "is online" : "went offline"}.`);
    }
  }

  private onNotice(event: { room: string; text: string }): void {
    if (!this.welcome.has(event.room)) return;
    if (this.store.room(event.room)?.loaded) {
      this.welcome.delete(event.room);
      this.store.line(event.room, event.text);
    } else {
      this.welcome.set(event.room, event.text); // the join's history goes first
    }
  }

  private onMember(event: MemberEvent): void {
    const room = this.store.room(event.room);
    if (!room) return;
    if (event.user === this.me && event.event === "role" && event.role) {
      room.info.role = event.role;
      this.store.emit({ type: "info", room: room.name });
    }
    if (room.loaded) this.store.line(room.name, announce.member(event));
  }

  private onRoomAdded(event: { room: RoomInfo; by: string | null }): void {
    if (!event?.room?.name) return;
    this.store.learn(event.room);
    this.store.notice(announce.roomAdded(event.room, event.by, this.me));
  }

  private onRemoved(event: RemovedEvent): void {
    const room = this.store.room(event.room);
    if (!room) return;
    const label = room.label;
    this.store.forget(event.room);
    this.store.notice(announce.removed(event, label, this.me));
  }

  private onRoomUpdated(event: { room: RoomInfo }): void {
    const room = this.store.room(event?.room?.name);
    if (!room) return;
    const before = { ...room.info };
    this.store.learn(event.room);
    if (!room.loaded) return;
    for (const line of announce.roomUpdated(before, event.room)) this.store.line(room.name, line);
  }

  private onRead(event: { room: string; last_read_seq: number }): void {
    const room = this.store.room(event.room);
    if (!room) return;
    this.reads.confirmed(room.name, event.last_read_seq);
    if (room.applyRead(event.last_read_seq, this.me)) this.store.emit({ type: "rooms" });
  }
}
