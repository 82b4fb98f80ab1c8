// The message box: Enter sends, Shift+Enter adds a line. Lines go to the send
// queue (sending.ts), so a lost connection never loses them.

import type { Actions } from "../actions";
import { h } from "../dom";
import type { Store } from "../state";

const MAX_LENGTH = 4000;
const MAX_ROWS = 8;

export function composer(store: Store, actions: Actions): HTMLElement {
  const box = h("textarea", {
    id: "composer",
    rows: 1,
    maxlength: MAX_LENGTH,
    "aria-describedby": "composer-hint",
    placeholder: "Write a message",
  });
  const hint = h(
    "p",
    { id: "composer-hint", class: "hint" },
    "Enter sends, Shift+Enter adds a line. #help lists the commands.",
  );
  const send = h("button", { type: "submit", class: "primary" }, "Send");
  const form = h(
    "form",
    { class: "composer" },
    h("label", { for: "composer", class: "visually-hidden" }, "Message"),
    box,
    send,
    hint,
  );

  function grow(): void {
    box.style.height = "auto";
    const line = parseFloat(getComputedStyle(box).lineHeight) || 20;
    box.style.height = `${Math.min(box.scrollHeight, line * MAX_ROWS + 16)}px`;
  }

  function submit(): void {
    const room = store.current;
    if (!room || !box.value.trim()) return;
    actions.send(room, box.value);
    box.value = "";
    grow();
  }

  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  box.addEventListener("input", grow);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
    box.focus();
  });
  const update = (): void => {
    const room = store.room(store.current);
    box.disabled = send.disabled = !room;
    box.placeholder = room ? `Message ${room.label}` : "Join a room first";
  };
  store.subscribe((change) => (change.type === "current" || change.type === "rooms") && update());
  update();
  return form;
}
