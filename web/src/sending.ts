// Sending typed lines: in order, each stored once, never dropped without a word
// (the terminal client's chatclient/sending.py).
//
// A line waits in the queue until the server acknowledges it. Without an ack
// (a lost connection, a timeout) it stays and is sent again, with its original
// `client_id`, once the connection is back and its rooms are rejoined: the
// server stores it once. `rate_limited` waits `retry_after`, `unavailable` a
// moment; any other refusal is said in the room and the line leaves the queue.
// The queue lives in sessionStorage too, so a reload does not lose it.

import type { Connection } from "./protocol";
import type { Store } from "./state";
import type { Message, Reply } from "./types";

export interface Pending {
  room: string;
  text: string;
  clientId: string;
  /** Not sent again before this time (ms since the epoch). */
  notBefore: number;
  /** Why it waits, when the server said. */
  note: string | null;
  /** Its message is on screen already (the broadcast came before the ack). */
  delivered: boolean;
}

const NO_ANSWER_RETRY_MS = 2000;
const UNAVAILABLE_RETRY_MS = 2000;

function newClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12)); // randomUUID needs https
  return "w" + Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export class Sender {
  queue: Pending[];
  private running = false;
  private stopped = false;
  private timer: number | undefined;
  private ticker: number | undefined;

  constructor(
    private store: Store,
    private connection: Connection,
  ) {
    this.queue = this.load();
  }

  private get key(): string {
    return `chatapp.unsent.${this.store.me.username}`;
  }

  private load(): Pending[] {
    try {
      const saved = JSON.parse(sessionStorage.getItem(this.key) ?? "[]") as Pending[];
      return saved.map(({ room, text, clientId }) => ({ room, text, clientId, notBefore: 0, note: null, delivered: false }));
    } catch {
      return [];
    }
  }

  private save(): void {
    const kept = this.queue.map(({ room, text, clientId }) => ({ room, text, clientId }));
    if (kept.length) sessionStorage.setItem(this.key, JSON.stringify(kept));
    else sessionStorage.removeItem(this.key);
  }

  /** Queue a line for `room`; it is sent as soon as it can be. */
  send(room: string, text: string): void {
    this.queue.push({ room, text, clientId: newClientId(), notBefore: 0, note: null, delivered: false });
    this.save();
    this.changed();
    this.wake();
  }

  /** The lines of `room` still waiting for their ack, oldest first. */
  waiting(room: string): Pending[] {
    return this.queue.filter((item) => item.room === room && !item.delivered);
  }

  /** A message reached the screen: its queued line, if ours, is shown as sent. */
  delivered(message: Message): void {
    const item = this.queue.find((i) => i.clientId === message.client_id && i.room === message.room);
    if (item && !item.delivered) {
      item.delivered = true;
      this.changed();
    }
  }

  wake(): void {
    if (!this.stopped) void this.pump();
  }

  /** Nothing more is sent (logged out, login ended); the queue is kept for the next login. */
  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    window.clearInterval(this.ticker);
  }

  private later(ms: number): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.wake(), ms);
  }

  private changed(): void {
    // While a line waits for its time, its countdown is redrawn every second.
    const waiting = this.queue.some((item) => item.notBefore > Date.now());
    if (waiting && this.ticker === undefined) {
      this.ticker = window.setInterval(() => this.changed(), 1000);
    } else if (!waiting && this.ticker !== undefined) {
      window.clearInterval(this.ticker);
      this.ticker = undefined;
    }
    this.store.emit({ type: "pending" });
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length && this.connection.canSend() && !this.stopped) {
        const item = this.queue[0];
        const wait = item.notBefore - Date.now();
        if (wait > 0) {
          this.later(wait);
          return;
        }
        const data = { room: item.room, text: item.text, client_id: item.clientId };
        const reply = await this.connection.call("send", data);
        if (!reply) {
          // Kept; sent again after the reconnect, or in a moment if still connected.
          if (this.connection.canSend()) this.later(NO_ANSWER_RETRY_MS);
          return;
        }
        if (this.handled(item, reply)) {
          this.queue.shift();
          this.save();
        }
        this.changed();
      }
    } finally {
      this.running = false;
    }
  }

  /** Show the outcome; false keeps the line queued for another try. */
  private handled(item: Pending, reply: Reply): boolean {
    if (reply.ok) {
      const room = this.store.room(item.room);
      if (reply.message && room) {
        this.connection.rooms.ingest(room, [reply.message as Message]);
      } else if (typeof reply.command === "string") {
        this.store.append(item.room, [{ kind: "result", command: reply.command, result: reply.result, at: new Date() }]);
      }
      return true;
    }
    const { code, message, retry_after } = reply.error;
    if (code === "unauthorized") return false; // kept for the next login
    if (code === "rate_limited") {
      item.notBefore = Date.now() + Math.max(1, retry_after ?? 1) * 1000;
      item.note = "Rate limited: sending again in";
      return false;
    }
    if (code === "busy") {
      item.notBefore = Date.now() + Math.max(1, retry_after ?? 1) * 1000;
      item.note = "The server is busy: sending again in";
      return false;
    }
    if (code === "unavailable") {
      item.notBefore = Date.now() + UNAVAILABLE_RETRY_MS;
      item.note = "The server cannot store messages right now; retrying in";
      return false;
    }
    const refused = { kind: "refused" as const, text: item.text, reason: message, at: new Date() };
    if (this.store.room(item.room)?.loaded) this.store.append(item.room, [refused]);
    else this.store.notice(`Not sent: ${message}`, "error");
    return true;
  }
}
