// How rooms, people and times read on screen.

import type { RoomInfo } from "./types";

/** `#general`, or `@bob` for a direct conversation. */
export function roomLabel(info: RoomInfo | undefined, name: string): string {
  if (info?.kind === "direct") return info.with ? `@${info.with}` : "@(deleted account)";
  return name.startsWith("~") ? name : `#${name}`;
}

export function author(user: string | null): string {
  return user ?? "(deleted account)";
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });
const dayFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  year: "numeric",
  month: "long",
  day: "numeric",
});

/** The time of day in the browser's time zone. */
export function clock(date: Date): string {
  return timeFormat.format(date);
}

export function fullTime(date: Date): string {
  return fullFormat.format(date);
}

/** A key that changes when the local calendar day does. */
export function dayKey(date: Date): string {
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

/** "Today", "Yesterday" or the full local date. */
export function dayName(date: Date, now: Date = new Date()): string {
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (dayKey(date) === dayKey(now)) return "Today";
  if (dayKey(date) === dayKey(yesterday)) return "Yesterday";
  return dayFormat.format(date);
}

/** "in 7 s" style countdowns. */
export function seconds(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))} s`;
}
