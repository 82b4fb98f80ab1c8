// The login screen: "Username", "Password", "Log in", "Register" (an invite
// code too when the server asks for one). A cookie session, never a token kept.

import * as api from "../api";
import { h, textBox } from "../dom";
import type { User } from "../types";

export type Registration = "open" | "invite" | "closed";

export function loginView(options: {
  registration: Registration;
  message?: string;
  onLoggedIn: (user: User) => void;
}): HTMLElement {
  const [userLabel, username] = textBox("login-username", "Username", {
    autocomplete: "username",
    required: true,
    autocapitalize: "none",
  });
  const [passLabel, password] = textBox("login-password", "Password", {
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const [inviteLabel, invite] = textBox("login-invite", "Invite code (to register)");
  const error = h("p", { class: "form-error", role: "alert" });
  const logInButton = h("button", { type: "submit", class: "primary" }, "Log in");
  const registerButton = h("button", { type: "button" }, "Register");
  const buttons = [logInButton, options.registration === "closed" ? null : registerButton];

  async function attempt(register: boolean): Promise<void> {
    error.textContent = "";
    if (!username.value || !password.value) {
      error.textContent = "Type a username and a password.";
      return;
    }
    for (const button of [logInButton, registerButton]) button.disabled = true;
    try {
      if (register) await api.register(username.value, password.value, invite.value.trim() || undefined);
      options.onLoggedIn(await api.logIn(username.value, password.value));
    } catch (failure) {
      let text = failure instanceof Error ? failure.message : String(failure);
      if (failure instanceof api.ApiError && failure.retryAfter) text += ` Try again in ${failure.retryAfter} s.`;
      error.textContent = text;
      password.select();
    } finally {
      for (const button of [logInButton, registerButton]) button.disabled = false;
    }
  }

  registerButton.addEventListener("click", () => void attempt(true));
  const form = h(
    "form",
    { class: "login-form", method: "post", novalidate: true },
    h("div", { class: "field" }, userLabel, username),
    h("div", { class: "field" }, passLabel, password),
    options.registration === "invite" ? h("div", { class: "field" }, inviteLabel, invite) : null,
    h("div", { class: "buttons" }, buttons),
    error,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void attempt(false);
  });
  if (options.message) error.textContent = options.message;
  const signUp =
    options.registration === "closed"
      ? "Registration is closed here: ask an administrator for an account."
      : options.registration === "invite"
        ? "New here? Registering needs an invite code from an administrator."
        : "New here? Choose a username and a password (8 characters or more), then Register.";
  window.setTimeout(() => username.focus(), 0);
  return h(
    "main",
    { class: "login" },
    h("h1", {}, "chatapp"),
    h("p", { class: "hint" }, signUp),
    form,
    h(
      "p",
      { class: "hint" },
      "Also: the ",
      h("a", { href: "/api/docs" }, "API documentation"),
      " and the terminal client (",
      h("code", {}, "cli.py chat"),
      ").",
    ),
  );
}
