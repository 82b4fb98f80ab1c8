// The room's details: who is online, and for those allowed the Invite, Kick,
// Ban, Unban and Topic controls (docs/protocol.md, "Roles").

import type { Actions, Moderation } from "../actions";
import { fill, h, textBox, userText } from "../dom";
import type { RoomState, Store } from "../state";

const RANK = { member: 0, moderator: 1, owner: 2 } as const;

/** Say how an action went: its failure (as an error) or what it did. */
function say(element: HTMLElement, failed: string | null, done: string): void {
  element.className = failed ? "form-error" : "form-done";
  element.textContent = failed ?? done;
}

function rank(room: RoomState, isAdmin: boolean): number {
  if (isAdmin && room.info.kind !== "direct") return RANK.owner; // admins act as owners
  return RANK[room.info.role ?? "member"] ?? 0;
}

function manageForm(store: Store, actions: Actions, room: RoomState): HTMLElement | null {
  if (room.info.kind === "direct") return null;
  const level = rank(room, store.me.is_admin);
  const mayInvite = !room.info.private || level >= RANK.moderator;
  const mayModerate = level >= RANK.moderator;
  if (!mayInvite && !mayModerate) return null;
  const [userLabel, user] = textBox("manage-user", "User");
  const [reasonLabel, reason] = textBox("manage-reason", "Reason (kick, ban)");
  const outcome = h("p", { class: "form-error", "aria-live": "polite" });
  const done: Record<Moderation, string> = { invite: "invited", kick: "removed", ban: "banned", unban: "unbanned" };

  function button(action: Moderation, label: string): HTMLButtonElement {
    const element = h("button", { type: "button" }, label);
    element.addEventListener("click", async () => {
      outcome.textContent = "";
      const failed = await actions.moderate(action, room.name, user.value, reason.value);
      say(outcome, failed, `${user.value.trim()} ${done[action]}.`);
      if (!failed) user.value = reason.value = "";
    });
    return element;
  }

  const buttons = [
    mayInvite ? button("invite", "Invite") : null,
    mayModerate ? button("kick", "Kick") : null,
    mayModerate ? button("ban", "Ban") : null,
    mayModerate ? button("unban", "Unban") : null,
  ];
  return h(
    "section",
    { class: "manage", "aria-labelledby": "manage-heading" },
    h("h2", { id: "manage-heading" }, "Manage"),
    h("div", { class: "field" }, userLabel, user),
    mayModerate ? h("div", { class: "field" }, reasonLabel, reason) : null,
    h("div", { class: "buttons" }, buttons),
    outcome,
    mayModerate ? topicForm(actions, room) : null,
  );
}

function topicForm(actions: Actions, room: RoomState): HTMLElement {
  const [label, topic] = textBox("topic-input", "Topic", { maxlength: "250" });
  topic.value = room.info.topic ?? "";
  const outcome = h("p", { class: "form-error", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "topic-form" },
    h("div", { class: "field" }, label, topic),
    h("button", { type: "submit" }, "Set topic"),
    outcome,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say(outcome, await actions.topic(room.name, topic.value), "Topic set.");
  });
  return form;
}

export function details(store: Store, actions: Actions): HTMLElement {
  const people = h("ul", { class: "people" });
  const manage = h("div");
  let shownFor: string | null = null;
  let shownRole: string | null = null;

  const render = (): void => {
    const room = store.room(store.current);
    fill(people, (room?.users ?? []).map((user) => h("li", {}, userText(user))));
    // The forms are rebuilt only when the room or the role changes: typing survives updates.
    const role = room ? `${room.info.role}:${room.info.private}` : null;
    if (room?.name !== shownFor || role !== shownRole) {
      shownFor = room?.name ?? null;
      shownRole = role;
      fill(manage, room ? manageForm(store, actions, room) : null);
    }
    const topic = manage.querySelector<HTMLInputElement>("#topic-input");
    if (topic && room && document.activeElement !== topic) topic.value = room.info.topic ?? "";
  };
  store.subscribe((change) => {
    if (change.type === "current" || (change.type === "info" && change.room === store.current)) render();
  });
  render();
  return h(
    "div",
    { class: "details-inner" },
    h("section", { "aria-labelledby": "people-heading" }, h("h2", { id: "people-heading" }, "Online"), people),
    manage,
  );
}
