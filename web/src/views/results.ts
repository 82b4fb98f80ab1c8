// A #command's answer, shown in place in the room as something readable
// (docs/protocol.md, "Commands"). Server text goes in as text only.

import { h, userText } from "../dom";
import { author, clock, fullTime } from "../labels";
import type { Message, RoomInfo } from "../types";

type Result = Record<string, unknown>;

function list<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

function help(result: Result): HTMLElement {
  const rows = list<{ usage: string; description: string }>(result.commands);
  return h("dl", { class: "help" }, rows.flatMap((row) => [h("dt", {}, h("code", {}, row.usage)), h("dd", {}, row.description)]));
}

function users(result: Result): HTMLElement {
  const names = list<string>(result.users);
  return h("p", {}, `${result.online ?? names.length} online in #${result.room}: `, names.length ? userText(names.join(", ")) : "nobody");
}

function table(headings: string[], rows: (string | Node)[][]): HTMLElement {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, headings.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell) => h("td", {}, cell))))),
  );
}

function members(result: Result): HTMLElement {
  const rows = list<{ user: string; role: string; online: boolean }>(result.members).map((member) => [
    userText(member.user),
    member.role,
    member.online ? "online" : "",
  ]);
  return table(["Member", "Role", "Online"], rows);
}

function rooms(result: Result): HTMLElement {
  const rows = list<RoomInfo>(result.rooms).map((room) => [
    room.kind === "direct" ? `@${room.with ?? "?"}` : `#${room.name}${room.private ? " (private)" : ""}`,
    String(room.online ?? 0),
    room.role ? `${room.role}${room.unread ? `, ${room.unread} unread` : ""}` : "",
    room.topic ? userText(room.topic) : "",
  ]);
  return table(["Room", "Online", "You", "Topic"], rows);
}

function messages(result: Result): HTMLElement {
  const items = list<Message>(result.messages);
  if (!items.length) return h("p", {}, "No messages.");
  return h(
    "ol",
    { class: "found" },
    items.map((message) => {
      const at = new Date(message.ts);
      return h(
        "li",
        {},
        h("time", { datetime: message.ts, title: fullTime(at) }, clock(at)),
        ` #${message.room} `,
        h("bdi", { class: "author" }, author(message.user)),
        ": ",
        h("span", { class: "text", dir: "auto" }, message.text),
      );
    }),
  );
}

const RENDER: Record<string, (result: Result) => HTMLElement> = {
  help,
  users,
  members,
  rooms,
  my_messages: messages,
  all_messages: messages,
  history: messages,
};

export function commandResult(command: string, result: unknown): HTMLElement {
  const data = (result && typeof result === "object" ? result : {}) as Result;
  const render = RENDER[command];
  const body = render ? render(data) : h("pre", {}, JSON.stringify(result, null, 2));
  const more = data.next_cursor ? h("p", { class: "hint" }, `More: #${command} 20 ${String(data.next_cursor)}`) : null;
  return h("div", { class: "result" }, h("p", { class: "result-title" }, `#${command}`), body, more);
}
