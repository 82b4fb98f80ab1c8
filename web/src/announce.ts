// One readable line for each event about rooms and members (as the terminal
// client's chatclient/announce.py says them). Shown with textContent only.

import { roomLabel } from "./labels";
import type { MemberEvent, RemovedEvent, RoomInfo } from "./types";

function who(by: string | null | undefined): string {
  return by ? by : "an admin"; // the admin CLI acts with `by` null
}

function because(reason: string | null | undefined): string {
  return reason ? `: ${reason}` : ".";
}

export function roomAdded(room: RoomInfo, by: string | null, me: string): string {
  if (room.kind === "direct") {
    const partner = room.with ?? "someone";
    return by === me
      ? `You opened a direct conversation with @${partner}.`
      : `${who(by)} opened a direct conversation with you (@${partner}).`;
  }
  const name = roomLabel(room, room.name) + (room.private ? " (private)" : "");
  return by === me ? `You joined ${name} on another session.` : `${who(by)} added you to ${name}.`;
}

export function removed(event: RemovedEvent, label: string, me: string): string {
  if (event.banned) return `You were banned from ${label} by ${who(event.by)}${because(event.reason)}`;
  if (event.reason === "deleted") return `${label} was deleted by ${who(event.by)}.`;
  if (event.by === me) return `You left ${label} (on another session).`;
  return `You were removed from ${label} by ${who(event.by)}${because(event.reason)}`;
}

export function member(event: MemberEvent): string {
  const user = event.user;
  const by = who(event.by);
  switch (event.event) {
    case "joined":
      return `${user} joined${event.role === "owner" ? " and owns the room" : ""}.`;
    case "left":
      return `${user} left.`;
    case "added":
      return `${by} added ${user}.`;
    case "removed":
      return `${by} removed ${user}.`;
    case "banned":
      return `${by} banned ${user}.`;
    case "unbanned":
      return `${by} lifted the ban of ${user}.`;
    case "role":
      return `${by} made ${user} ${event.role ?? "member"}.`;
    default:
      return `${user}: ${event.event}.`;
  }
}

export function roomUpdated(before: RoomInfo | undefined, after: RoomInfo): string[] {
  const lines: string[] = [];
  if (!before || (before.topic ?? null) !== (after.topic ?? null)) {
    lines.push(after.topic ? `Topic: ${after.topic}` : "The topic was cleared.");
  }
  if (before && before.private !== after.private && after.private !== undefined) {
    lines.push(`The room is now ${after.private ? "private" : "public"}.`);
  }
  return lines;
}
