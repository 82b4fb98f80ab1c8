// Read state: the current room counts as read up to the last message shown
// while the tab is visible and focused (and the list is scrolled to its end).
// Marks are coalesced (one `read` for a burst of messages), one in flight at a
// time, and kept over a lost connection (chatclient/reading.py).

import type { Connection } from "./protocol";
import type { Store } from "./state";

const BATCH_MS = 300;

export class ReadMarker {
  private wanted = new Map<string, number>(); // room -> highest seq seen, not sent yet
  private sent = new Map<string, number>(); // room -> highest seq the server confirmed
  private timer: number | undefined;
  private inFlight = false;
  private stopped = false;
  private onAttention = (): void => this.seen();

  constructor(
    private store: Store,
    private connection: Connection,
  ) {
    document.addEventListener("visibilitychange", this.onAttention);
    window.addEventListener("focus", this.onAttention);
    store.subscribe((change) => {
      if (change.type === "current" || (change.type === "reset" && change.room === store.current)) this.seen();
    });
  }

  /** Is the page in front of the user? */
  attending(): boolean {
    return document.visibilityState === "visible" && document.hasFocus();
  }

  /** The current room may just have been shown: mark it read if it was. */
  seen(): void {
    const room = this.store.room(this.store.current);
    if (!room?.loaded || !room.lastSeq || !this.attending() || !this.store.atEnd()) return;
    const seq = room.lastSeq;
    const known = Math.max(this.wanted.get(room.name) ?? 0, this.sent.get(room.name) ?? 0);
    if (seq <= known && seq <= (room.info.last_read_seq ?? 0)) return;
    // Cleared on screen at once; the server's answer (or the next `rooms`) settles it.
    if (room.applyRead(seq, this.store.me.username)) this.store.emit({ type: "rooms" });
    if (seq <= known) return;
    this.wanted.set(room.name, seq);
    this.wake();
  }

  confirmed(room: string, lastRead: number): void {
    this.sent.set(room, Math.max(this.sent.get(room) ?? 0, lastRead));
  }

  wake(): void {
    if (this.stopped) return;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.flush(), BATCH_MS);
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    document.removeEventListener("visibilitychange", this.onAttention);
    window.removeEventListener("focus", this.onAttention);
  }

  private async flush(): Promise<void> {
    if (this.inFlight || this.stopped) return;
    this.inFlight = true;
    try {
      while (this.wanted.size && this.connection.canSend()) {
        const [room, seq] = this.wanted.entries().next().value as [string, number];
        this.wanted.delete(room);
        if (seq <= (this.sent.get(room) ?? 0)) continue;
        const reply = await this.connection.call("read", { room, seq });
        if (!reply) {
          // No answer: kept for after the reconnect.
          this.wanted.set(room, Math.max(seq, this.wanted.get(room) ?? 0));
          return;
        }
        if (reply.ok) {
          const lastRead = reply.last_read_seq as number;
          this.confirmed(room, lastRead);
          if (this.store.room(room)?.applyRead(lastRead, this.store.me.username)) {
            this.store.emit({ type: "rooms" });
          }
        }
        // Refused (the room is gone, the user was removed): nothing to keep.
      }
    } finally {
      this.inFlight = false;
    }
  }
}
