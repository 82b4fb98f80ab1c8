// The one module that speaks the protocol (docs/protocol.md), with the
// terminal client's algorithm (chatclient/session.py); its parts:
//
// - rooms.ts: per room, the highest `seq` shown; every message is shown once,
//   in order, and a message past a gap waits while `history` fills the gap;
// - team.ts: presence, members, rooms added and removed, read marks elsewhere;
// - here, the connection: after a reconnect (`rooms` arrives first), rooms on screen are joined again
//   and their gaps filled before anything queued is resent (sending.ts: same
//   `client_id`, so it is stored once);
// - read marks for what is shown in a focused tab (reading.ts);
// - a login that ended (event, ack or refused connect) stops everything and
//   asks for a new login; what is unsent stays queued.

import { io, type Socket } from "socket.io-client";
import { ReadMarker } from "./reading";
import { Rooms } from "./rooms";
import { Sender } from "./sending";
import type { Store } from "./state";
import { TeamEvents } from "./team";
import type { ErrorInfo, MemberEvent, Message, PresenceEvent, RemovedEvent, Reply, RoomInfo } from "./types";

const ACK_TIMEOUT_MS = 10_000;
const RETRY_MAX_MS = 5_000;

export class Connection {
  readonly socket: Socket;
  readonly sender: Sender;
  readonly reads: ReadMarker;
  readonly rooms: Rooms;
  private team: TeamEvents;
  /** Connected and every room on screen joined again: sends may go. */
  synced = false;
  private connectedOnce = false;
  private ended = false;
  private closed = false;
  private syncRun = 0;
  private retryTimer: number | undefined;
  private retryDelay = 1000;

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
    this.rooms = new Rooms(store, this);
    this.team = new TeamEvents(store, this.reads);
    this.listen();
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
    on("message", (message: Message) => this.rooms.onMessage(message));
    on("notice", (event: { room: string; text: string }) => this.rooms.onNotice(event));
    on("presence", (event: PresenceEvent) => this.team.onPresence(event));
    on("member", (event: MemberEvent) => this.team.onMember(event));
    on("room_added", (event: { room: RoomInfo; by: string | null }) => this.team.onRoomAdded(event));
    on("removed", (event: RemovedEvent) => this.team.onRemoved(event));
    on("room_updated", (event: { room: RoomInfo }) => this.team.onRoomUpdated(event));
    on("read", (event: { room: string; last_read_seq: number }) => this.team.onRead(event));
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
      if (room.loaded) await this.rooms.join(room.name, { quiet: true });
      if (run !== this.syncRun) return; // the connection was lost meanwhile: the next one syncs
    }
    if (first) {
      const remembered = this.store.remembered();
      const start = remembered && mine.has(remembered) ? remembered : this.store.sorted()[0]?.name;
      this.store.setCurrent(start ?? null);
    }
    const current = this.store.room(this.store.current);
    if (current && !current.loaded) await this.rooms.join(current.name);
    if (run !== this.syncRun) return;
    this.synced = true;
    this.sender.wake();
    this.reads.wake();
  }
}
