// What the page shows, in one place: the user's rooms, each room's timeline,
// the current room and the connection state. The protocol module writes it;
// views subscribe and render what changed.

import { roomLabel } from "./labels";
import type { Joined, Message, RoomInfo, User } from "./types";

export type Tone = "info" | "error";

/**
 * Timeline entries (messages, and the quiet lines among them) a room keeps
 * while its newest messages are followed, or while it is not on screen; the
 * oldest go as new ones come, and scrolling up fetches them again from
 * `history`. Each message drawn costs about 10 KB of renderer memory
 * (docs/benchmarks.md, "The web client"), so a room left open in a busy
 * channel would otherwise grow all day; 500 (about 5 MB) is many screens of
 * scrollback at once, and ten `history` pages away.
 */
export const KEEP_LATEST = 500;

/** One entry of a room's timeline. Messages are in `seq` order among themselves. */
export type Item =
  | { kind: "message"; message: Message }
  | { kind: "line"; text: string; tone: Tone; at: Date }
  | { kind: "result"; command: string; result: unknown; at: Date }
  | { kind: "refused"; text: string; reason: string; at: Date };

export type Status = "connecting" | "connected" | "reconnecting" | "offline";

export type Change =
  | { type: "rooms" } // the list of rooms, their labels or unread counts
  | { type: "current" } // another room is current
  | { type: "info"; room: string } // a room's topic, role, people online
  | { type: "append"; room: string; items: Item[] }
  | { type: "prepend"; room: string; items: Item[] }
  | { type: "trim"; room: string; items: Item[] } // the oldest, dropped (KEEP_LATEST)
  | { type: "reset"; room: string } // the whole timeline, e.g. its first load
  | { type: "older"; room: string } // loading older messages started or ended
  | { type: "pending" } // sends waiting for their ack
  | { type: "status" }
  | { type: "notice"; text: string; tone: Tone };

export class RoomState {
  info: RoomInfo;
  /** Opened (`join`ed) on this page: its messages are shown from here on. */
  loaded = false;
  joining: Promise<Joined> | null = null;
  /** The highest seq shown (every message up to it is shown), and the lowest. */
  lastSeq = 0;
  oldestSeq = 0;
  /** Messages past a gap, waiting for the gap to be filled from `history`. */
  ahead = new Map<number, Message>();
  fillTo = 0;
  filling = false;
  loadingOlder = false;
  items: Item[] = [];
  users: string[] = [];
  online = 0;

  constructor(info: RoomInfo) {
    this.info = { ...info };
  }

  get name(): string {
    return this.info.name;
  }

  get label(): string {
    return roomLabel(this.info, this.info.name);
  }

  get hasOlder(): boolean {
    return this.oldestSeq > 1;
  }

  /** Drop the oldest entries past KEEP_LATEST; those dropped. Paging back fetches them again. */
  trim(): Item[] {
    const dropped = this.items.splice(0, Math.max(0, this.items.length - KEEP_LATEST));
    if (dropped.some((item) => item.kind === "message")) {
      // Everything up to lastSeq that is not here is older than this: `history` before_seq has it.
      const first = this.items.find((item) => item.kind === "message");
      this.oldestSeq = first?.kind === "message" ? first.message.seq : this.lastSeq + 1;
    }
    return dropped;
  }

  get unread(): number {
    return this.info.unread ?? 0;
  }

  /** A message newer than the server's last count: one more unread if someone else wrote it. */
  countNew(message: Message, me: string): void {
    if (message.seq <= (this.info.seq ?? 0)) return; // counted by the server already
    this.info.seq = message.seq;
    if (message.user !== me && message.seq > (this.info.last_read_seq ?? 0)) {
      this.info.unread = this.unread + 1;
    }
  }

  /** The read mark moved (our `read`, or another session's): fewer unread. */
  applyRead(lastRead: number, me: string): boolean {
    if (lastRead < (this.info.last_read_seq ?? 0)) return false;
    this.info.last_read_seq = lastRead;
    const newest = this.info.seq ?? 0;
    if (lastRead >= newest) {
      this.info.unread = 0;
    } else if (this.loaded && this.oldestSeq > 0 && this.oldestSeq <= lastRead + 1) {
      // Every message after the mark is here: count exactly.
      this.info.unread = this.items.filter(
        (item) => item.kind === "message" && item.message.seq > lastRead && item.message.user !== me,
      ).length;
    } else {
      this.info.unread = Math.min(this.unread, newest - lastRead);
    }
    return true;
  }
}

type Listener = (change: Change) => void;

export class Store {
  rooms = new Map<string, RoomState>();
  current: string | null = null;
  status: Status = "connecting";
  /** Whether the room on screen shows its newest messages (the message list says). */
  atEnd: () => boolean = () => true;
  private listeners = new Set<Listener>();

  constructor(public me: User) {}

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: Change): void {
    for (const listener of this.listeners) listener(change);
  }

  room(name: string | null | undefined): RoomState | undefined {
    return name ? this.rooms.get(name) : undefined;
  }

  /** Remember what the server said of a room (ROOM or MEMBERSHIP): a member's room. */
  learn(info: RoomInfo): RoomState {
    let room = this.rooms.get(info.name);
    if (room) {
      room.info = { ...room.info, ...info };
    } else {
      room = new RoomState(info);
      this.rooms.set(info.name, room);
    }
    this.emit({ type: "rooms" });
    this.emit({ type: "info", room: info.name });
    return room;
  }

  forget(name: string): void {
    if (!this.rooms.delete(name)) return;
    this.emit({ type: "rooms" });
    if (this.current === name) this.setCurrent(this.sorted()[0]?.name ?? null);
  }

  setCurrent(name: string | null): void {
    if (this.current === name) return;
    const left = this.room(this.current);
    this.current = name;
    if (left) this.trim(left); // off screen now: nobody is reading its older messages
    if (name) localStorage.setItem(`chatapp.room.${this.me.username}`, name);
    this.emit({ type: "current" });
    this.emit({ type: "rooms" });
  }

  /** The room the user had open last time on this browser, if still theirs. */
  remembered(): string | null {
    return localStorage.getItem(`chatapp.room.${this.me.username}`);
  }

  setStatus(status: Status): void {
    if (this.status === status) return;
    this.status = status;
    this.emit({ type: "status" });
  }

  /** Rooms first, then direct conversations, each by how they read. */
  sorted(): RoomState[] {
    return [...this.rooms.values()].sort((a, b) => {
      const direct = Number(a.info.kind === "direct") - Number(b.info.kind === "direct");
      return direct || a.label.localeCompare(b.label);
    });
  }

  append(name: string, items: Item[]): void {
    const room = this.rooms.get(name);
    if (!room || !items.length) return;
    room.items.push(...items);
    this.emit({ type: "append", room: name, items });
    // Scrolled up, the person is reading: nothing moves under them until they are back down.
    if (name !== this.current || this.atEnd()) this.trim(room);
  }

  private trim(room: RoomState): void {
    const dropped = room.trim();
    if (dropped.length) this.emit({ type: "trim", room: room.name, items: dropped });
  }

  /** A quiet line in a room's timeline (presence, moderation, refusals). */
  line(name: string, text: string, tone: Tone = "info"): void {
    const room = this.rooms.get(name);
    if (room?.loaded) this.append(name, [{ kind: "line", text, tone, at: new Date() }]);
    else this.notice(text, tone);
  }

  /** Something to say outside any one room. */
  notice(text: string, tone: Tone = "info"): void {
    this.emit({ type: "notice", text, tone });
  }

  totalUnread(): number {
    let total = 0;
    for (const room of this.rooms.values()) total += room.unread;
    return total;
  }
}
