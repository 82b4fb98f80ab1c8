// What the server tells about rooms and members beyond messages: presence,
// membership changes, rooms added and removed, topics, read marks elsewhere
// (chatclient/team.py). Each changes the state and, where a person would want
// to know, says so in one readable line (announce.ts).

import * as announce from "./announce";
import type { ReadMarker } from "./reading";
import type { Store } from "./state";
import type { MemberEvent, PresenceEvent, RemovedEvent, RoomInfo } from "./types";

export class TeamEvents {
  constructor(
    private store: Store,
    private reads: ReadMarker,
  ) {}

  private get me(): string {
    return this.store.me.username;
  }

  onPresence(event: PresenceEvent): void {
    const room = this.store.room(event.room);
    if (!room) return;
    room.users = event.users;
    room.online = event.online;
    this.store.emit({ type: "info", room: room.name });
    if (room.loaded && event.user !== this.me) {
      this.store.line(room.name, `${event.user} ${event.event === "join" ? "is online" : "went offline"}.`);
    }
  }

  onMember(event: MemberEvent): void {
    const room = this.store.room(event.room);
    if (!room) return;
    // My role: changed, or "owner" of a room my join just made.
    if (event.user === this.me && event.role && (event.event === "role" || event.event === "joined")) {
      room.info.role = event.role;
      this.store.emit({ type: "info", room: room.name });
    }
    if (room.loaded) this.store.line(room.name, announce.member(event));
  }

  onRoomAdded(event: { room: RoomInfo; by: string | null }): void {
    if (!event?.room?.name) return;
    this.store.learn(event.room);
    this.store.notice(announce.roomAdded(event.room, event.by, this.me));
  }

  onRemoved(event: RemovedEvent): void {
    const room = this.store.room(event.room);
    if (!room) return;
    const label = room.label;
    this.store.forget(event.room);
    this.store.notice(announce.removed(event, label, this.me));
  }

  onRoomUpdated(event: { room: RoomInfo }): void {
    const room = this.store.room(event?.room?.name);
    if (!room) return;
    const before = { ...room.info };
    this.store.learn(event.room);
    if (!room.loaded) return;
    for (const line of announce.roomUpdated(before, event.room)) this.store.line(room.name, line);
  }

  onRead(event: { room: string; last_read_seq: number }): void {
    const room = this.store.room(event.room);
    if (!room) return;
    this.reads.confirmed(room.name, event.last_read_seq);
    if (room.applyRead(event.last_read_seq, this.me)) this.store.emit({ type: "rooms" });
  }
}
