// The current room's heading (its name: "#general" or "@bob"), topic, who is
// online, and the Leave button.

import type { Actions } from "../actions";
import { fill, h, userText } from "../dom";
import type { Store } from "../state";
import { lock } from "./icons";

export function roomHeader(store: Store, actions: Actions, toggles: HTMLElement[]): HTMLElement {
  const title = h("h1", { id: "room-title", tabindex: "-1" });
  const topic = h("p", { class: "topic" });
  const online = h("p", { class: "online" });
  const error = h("p", { class: "form-error", "aria-live": "polite" });
  const leave = h("button", { type: "button", class: "leave" }, "Leave");
  leave.addEventListener("click", async () => {
    const name = store.current;
    if (!name) return;
    leave.disabled = true;
    error.textContent = (await actions.leave(name)) ?? "";
    leave.disabled = false;
  });

  const render = (): void => {
    const room = store.room(store.current);
    error.textContent = "";
    if (!room) {
      fill(title, "No room open");
      fill(topic, "Join a room, or start a direct conversation, from the side bar.");
      fill(online);
      leave.hidden = true;
      return;
    }
    const marks = room.info.private && room.info.kind !== "direct" ? lock() : null;
    fill(title, room.label, marks);
    if (marks) title.setAttribute("aria-description", "private room");
    fill(topic, room.info.topic ? userText(room.info.topic, "span") : "");
    fill(online, room.loaded ? `${room.online} online` : "Opening…");
    leave.hidden = room.info.kind === "direct";
  };
  store.subscribe((change) => {
    if (change.type === "current" || (change.type === "info" && change.room === store.current)) render();
  });
  render();
  return h(
    "header",
    { class: "room-head" },
    h("div", { class: "room-title-row" }, title, h("div", { class: "head-buttons" }, toggles, leave)),
    topic,
    online,
    error,
  );
}
