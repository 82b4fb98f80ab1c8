// The shapes the server sends (docs/protocol.md): messages, ROOM, MEMBERSHIP, acks.

export interface Message {
  id: number;
  room: string;
  seq: number;
  user: string | null; // null once the author's account was deleted
  text: string;
  ts: string; // ISO 8601 UTC with milliseconds
  client_id: string;
}

/** ROOM, or MEMBERSHIP (ROOM plus the member's role, read mark, newest seq and unread count). */
export interface RoomInfo {
  name: string;
  private?: boolean;
  kind?: "room" | "direct";
  topic?: string | null;
  created?: string;
  members?: number;
  with?: string | null;
  role?: Role;
  last_read_seq?: number;
  seq?: number;
  unread?: number;
  online?: number;
}

export type Role = "owner" | "moderator" | "member";

export interface ErrorInfo {
  code: string;
  message: string;
  retry_after?: number;
}

/** Every ack: {"ok": true, ...} or {"ok": false, "error": {...}}. */
export type Reply = { ok: true; [field: string]: unknown } | { ok: false; error: ErrorInfo };

export interface User {
  id: number;
  username: string;
  is_admin: boolean;
}

export interface PresenceEvent {
  room: string;
  online: number;
  users: string[];
  event: "join" | "leave";
  user: string;
}

export interface MemberEvent {
  room: string;
  user: string;
  event: string;
  by: string | null;
  role?: Role;
}

export interface RemovedEvent {
  room: string;
  by: string | null;
  reason: string | null;
  banned: boolean;
}

/** How opening a room went: its name (as the server spells it), or why not. */
export type Joined = { ok: true; name: string } | { ok: false; error: ErrorInfo };
