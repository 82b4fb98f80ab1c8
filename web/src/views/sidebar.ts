// The sidebar: "Join room" and "Direct message" boxes, the rooms list
// (<nav aria-label="Rooms">, unread counts, private and direct marks),
// creating a room, and the public rooms to join.

import type { Actions, Outcome } from "../actions";
import * as api from "../api";
import { fill, h, textBox, userText } from "../dom";
import type { RoomState, Store } from "../state";
import type { RoomInfo } from "../types";
import { lock } from "./icons";

function focusComposer(): void {
  document.getElementById("composer")?.focus();
}

/** A one-line box that runs `action` on Enter and says why it failed, if it did. */
function actionBox(id: string, label: string, placeholder: string, action: (value: string) => Promise<Outcome>) {
  const [labelElement, input] = textBox(id, label, { placeholder, "aria-describedby": `${id}-error` });
  const error = h("p", { class: "form-error", id: `${id}-error`, "aria-live": "polite" });
  input.addEventListener("keydown", async (event) => {
    if (event.key !== "Enter" || event.isComposing || !input.value.trim()) return;
    event.preventDefault();
    if (input.getAttribute("aria-busy") === "true") return;
    error.textContent = "";
    input.setAttribute("aria-busy", "true");
    const outcome = await action(input.value);
    input.removeAttribute("aria-busy");
    if (outcome) {
      error.textContent = outcome;
    } else {
      input.value = "";
      focusComposer(); // the room is open: write in it
    }
  });
  return h("div", { class: "field" }, labelElement, input, error);
}

/** The accessible name: the room's name first, then what matters about it. */
function roomName(room: RoomState): string {
  const parts = [room.label];
  if (room.info.private && room.info.kind !== "direct") parts.push("private");
  if (room.unread > 0) parts.push(`${room.unread} unread`);
  return parts.join(", ");
}

function roomButton(room: RoomState, store: Store): HTMLElement {
  const current = store.current === room.name;
  const marks = room.info.private && room.info.kind !== "direct" ? lock() : null;
  return h(
    "li",
    {},
    h(
      "button",
      {
        type: "button",
        class: `room-link${room.unread ? " unread" : ""}`,
        "aria-label": roomName(room),
        "aria-current": current ? "true" : null,
        "data-room": room.name,
        onclick: () => store.setCurrent(room.name),
      },
      h("span", { class: "room-name" }, room.label),
      marks,
      room.unread ? h("span", { class: "badge", "aria-hidden": "true" }, String(room.unread)) : null,
    ),
  );
}

function publicRooms(store: Store, actions: Actions): HTMLElement {
  const list = h("ul", { class: "public-list" });
  const status = h("p", { class: "hint", "aria-live": "polite" });
  const more = h("button", { type: "button", hidden: true }, "More rooms");
  let cursor: string | null = null;
  let listed: RoomInfo[] = [];

  /** The public rooms the user is not in (a room joined meanwhile leaves the list). */
  function render(): void {
    const others = listed.filter((room) => !room.private && !store.rooms.has(room.name));
    fill(list, others.map(entry));
    status.textContent = others.length ? "" : "No other public rooms yet.";
  }

  function entry(room: RoomInfo): HTMLElement {
    const error = h("span", { class: "form-error" });
    const button = h("button", { type: "button", "aria-label": `Join #${room.name}` }, "Join");
    button.addEventListener("click", async () => {
      button.disabled = true;
      const outcome = await actions.join(room.name);
      button.disabled = false;
      error.textContent = outcome ?? "";
      if (!outcome) focusComposer(); // and the room leaves this list (render)
    });
    return h(
      "li",
      {},
      h("span", { class: "room-name" }, `#${room.name}`),
      h("span", { class: "hint" }, ` ${room.online ?? 0} online`),
      room.topic ? h("span", { class: "topic" }, userText(room.topic)) : null,
      button,
      error,
    );
  }

  async function load(reset: boolean): Promise<void> {
    if (reset) cursor = null;
    status.textContent = "Loading…";
    try {
      const page = await api.listRooms(cursor ?? undefined);
      listed = reset ? page.rooms : [...listed, ...page.rooms];
      cursor = page.next_cursor;
      more.hidden = !cursor;
      render();
    } catch (failure) {
      status.textContent = failure instanceof Error ? failure.message : "The list did not load.";
    }
  }

  more.addEventListener("click", () => void load(false));
  let mine = "";
  store.subscribe((change) => {
    const names = [...store.rooms.keys()].join(" ");
    if (change.type === "rooms" && names !== mine && listed.length) render();
    mine = names;
  });
  const refresh = h("button", { type: "button", onclick: () => void load(true) }, "Refresh public rooms");
  void load(true);
  return h(
    "section",
    { class: "public", "aria-labelledby": "public-heading" },
    h("h2", { id: "public-heading" }, "Public rooms"),
    refresh,
    status,
    list,
    more,
  );
}

function createForm(actions: Actions): HTMLElement {
  const [label, name] = textBox("create-name", "Room name", { placeholder: "design" });
  const privateBox = h("input", { type: "checkbox", id: "create-private" });
  const error = h("p", { class: "form-error", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "create", "aria-labelledby": "create-heading" },
    h("h2", { id: "create-heading" }, "New room"),
    h("div", { class: "field" }, label, name),
    h("div", { class: "check" }, privateBox, h("label", { for: "create-private" }, "Private")),
    h("button", { type: "submit" }, "Create room"),
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const outcome = await actions.create(name.value, privateBox.checked);
    if (outcome) {
      error.textContent = outcome;
    } else {
      form.reset();
      focusComposer();
    }
  });
  return form;
}

export function sidebar(store: Store, actions: Actions): HTMLElement {
  const list = h("ul", { class: "rooms" });
  const empty = h("p", { class: "hint" }, "No rooms yet: join one above.");
  const render = (): void => {
    const rooms = store.sorted();
    // Redrawn on every change: the focused room keeps the keyboard focus.
    const focused = list.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.room : null;
    fill(list, rooms.map((room) => roomButton(room, store)));
    empty.hidden = rooms.length > 0;
    if (focused) list.querySelector<HTMLElement>(`[data-room="${CSS.escape(focused)}"]`)?.focus();
  };
  let scheduled = false;
  store.subscribe((change) => {
    if (change.type !== "rooms" || scheduled) return;
    scheduled = true; // a burst of messages redraws the list once per frame
    requestAnimationFrame(() => {
      scheduled = false;
      render();
    });
  });
  render();
  return h(
    "div",
    { class: "sidebar-inner" },
    actionBox("join-room", "Join room", "general, or @user", (value) => actions.join(value)),
    actionBox("direct-message", "Direct message", "username", (value) => actions.direct(value)),
    h("nav", { "aria-label": "Rooms" }, h("h2", {}, "Rooms"), list, empty),
    createForm(actions),
    publicRooms(store, actions),
  );
}
