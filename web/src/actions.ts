// What the user asks for beyond sending: joining, direct conversations,
// creating, leaving, moderating. Each answers null, or the reason it failed
// (shown by the view that asked).

import type { Connection } from "./protocol";
import { errorOf } from "./replies";
import type { Store } from "./state";
import type { RoomInfo } from "./types";

export type Outcome = string | null;

export type Moderation = "invite" | "kick" | "ban" | "unban";

export class Actions {
  constructor(
    private store: Store,
    private connection: Connection,
  ) {}

  /** The "Join room" box: NAME (made if nobody has, as on IRC) or @USER; it becomes current. */
  async join(input: string): Promise<Outcome> {
    const text = input.trim();
    if (text.startsWith("@")) return this.direct(text.slice(1));
    const name = text.replace(/^#/, "").toLowerCase();
    if (!name) return "Type the name of a room.";
    const joined = await this.connection.rooms.open(name, true);
    return joined.ok ? null : joined.error.message;
  }

  /** Open (or start) the direct conversation with `user`; it becomes current. */
  async direct(user: string): Promise<Outcome> {
    const name = user.trim().replace(/^@/, "");
    if (!name) return "Type a username.";
    const reply = await this.connection.call("direct", { user: name });
    if (!reply?.ok) return errorOf(reply).message;
    const room = reply.room as RoomInfo;
    this.store.learn(room);
    const joined = await this.connection.rooms.open(room.name);
    return joined.ok ? null : joined.error.message;
  }

  async create(name: string, isPrivate: boolean): Promise<Outcome> {
    const room = name.trim().replace(/^#/, "").toLowerCase();
    if (!room) return "Type a name for the room.";
    const reply = await this.connection.call("create", { room, private: isPrivate });
    if (!reply?.ok) return errorOf(reply).message;
    const info = reply.room as RoomInfo;
    this.store.learn({ ...info, role: "owner" }); // its maker owns it
    const joined = await this.connection.rooms.open(info.name);
    return joined.ok ? null : joined.error.message;
  }

  /** Leave for good (every session of the user); another room becomes current. */
  async leave(name: string): Promise<Outcome> {
    const label = this.store.room(name)?.label ?? `#${name}`;
    const reply = await this.connection.call("leave", { room: name });
    if (!reply?.ok) return errorOf(reply).message;
    this.store.forget(name);
    this.store.notice(`You left ${label}.`);
    return null;
  }

  /** Invite, kick, ban or unban `user` in `room`; the room's `member` event says it happened. */
  async moderate(action: Moderation, room: string, user: string, reason = ""): Promise<Outcome> {
    const name = user.trim().replace(/^@/, "");
    if (!name) return "Type a username.";
    const data: Record<string, string> = { room, user: name };
    if (reason.trim() && (action === "kick" || action === "ban")) data.reason = reason.trim();
    const reply = await this.connection.call(action, data);
    return reply?.ok ? null : errorOf(reply).message;
  }

  /** Set the topic ("" clears it); `room_updated` tells every member. */
  async topic(room: string, topic: string): Promise<Outcome> {
    const reply = await this.connection.call("update_room", { room, topic });
    if (!reply?.ok) return errorOf(reply).message;
    this.store.learn(reply.room as RoomInfo);
    return null;
  }

  send(room: string, text: string): void {
    this.connection.sender.send(room, text);
  }
}
