// The chat screen: top bar (connection state, Log out), side bar, the room
// (heading, messages, message box) and its details. On a phone the side bar
// and the details open over the room with the Menu and Details buttons.

import type { Actions } from "../actions";
import { h } from "../dom";
import type { Connection } from "../protocol";
import type { Status, Store } from "../state";
import { composer } from "./composer";
import { details } from "./details";
import { roomHeader } from "./header";
import { sidebar } from "./sidebar";
import { timeline } from "./timeline";

const STATUS_TEXT: Record<Status, string> = {
  connecting: "Reconnecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

/** A button that opens and closes a panel on narrow screens. */
function toggle(label: string, panel: HTMLElement, className: string, root: HTMLElement): HTMLButtonElement {
  const button = h("button", { type: "button", class: `toggle ${className}`, "aria-controls": panel.id, "aria-expanded": "false" }, label);
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    root.classList.toggle(`${panel.id}-open`, open);
    if (open) panel.querySelector<HTMLElement>("input, button")?.focus();
  });
  return button;
}

export function chatView(store: Store, connection: Connection, actions: Actions, onLogOut: () => void): HTMLElement {
  const status = h("span", { class: "connection", role: "status" });
  const notice = h("p", { class: "notice", "aria-live": "polite" });
  const side = h("aside", { id: "sidebar", class: "sidebar", "aria-label": "Your rooms and tools" }, sidebar(store, actions));
  const info = h("aside", { id: "details", class: "details", "aria-label": "Room details" }, details(store, actions));
  const root = h("div", { class: "chat" });
  const menu = toggle("Menu", side, "menu-toggle", root);
  const more = toggle("Details", info, "details-toggle", root);
  const logOut = h("button", { type: "button", class: "logout", onclick: onLogOut }, "Log out");

  for (const [panel, label] of [[side, "Close the menu"], [info, "Close the details"]] as const) {
    panel.prepend(h("button", { type: "button", class: "panel-close", onclick: () => close() }, label));
  }
  const close = (): void => {
    // Keyboard users land back on the button that opened the panel.
    const back = info.contains(document.activeElement) ? more : side.contains(document.activeElement) ? menu : null;
    if (back && getComputedStyle(back).display !== "none") back.focus();
    root.classList.remove("sidebar-open", "details-open");
    menu.setAttribute("aria-expanded", "false");
    more.setAttribute("aria-expanded", "false");
  };
  // Choosing a room (even the current one) goes back to it on a phone.
  side.addEventListener("click", (event) => {
    if ((event.target as Element).closest(".room-link")) close();
  });
  root.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && root.matches(".sidebar-open, .details-open")) close();
  });

  let noticeTimer: number | undefined;
  store.subscribe((change) => {
    if (change.type === "status") {
      status.textContent = STATUS_TEXT[store.status];
      status.dataset.state = store.status;
    } else if (change.type === "notice") {
      notice.textContent = change.text;
      notice.className = `notice ${change.tone}`;
      window.clearTimeout(noticeTimer);
      noticeTimer = window.setTimeout(() => (notice.textContent = ""), 15_000);
    } else if (change.type === "current") {
      close(); // a room was chosen: back to it
    }
    if (change.type === "rooms" || change.type === "current") {
      const unread = store.totalUnread();
      const room = store.room(store.current);
      document.title = `${unread ? `(${unread}) ` : ""}${room ? `${room.label} · ` : ""}chatapp`;
    }
  });
  status.textContent = STATUS_TEXT[store.status];
  status.dataset.state = store.status;

  root.append(
    h("a", { class: "skip", href: "#composer" }, "Skip to the message box"),
    h(
      "header",
      { class: "topbar" },
      menu,
      h("span", { class: "brand" }, "chatapp"),
      status,
      h("span", { class: "me" }, "Logged in as ", h("bdi", {}, store.me.username)),
      logOut,
    ),
    side,
    h(
      "main",
      { class: "room" },
      roomHeader(store, actions, [more]),
      notice,
      timeline(store, connection),
      composer(store, actions),
    ),
    info,
  );
  return root;
}
