// The browser client's entry point: who is logged in, then the login screen
// or the chat. Served by chatapp at / (chatapp/templates/app.html).

import "./app.css";
import { Actions } from "./actions";
import * as api from "./api";
import { fill, h } from "./dom";
import { Connection } from "./protocol";
import { Store } from "./state";
import type { User } from "./types";
import { chatView } from "./views/chat";
import { loginView, type Registration } from "./views/login";

const root = document.getElementById("app") as HTMLElement;
const registration = (document.body.dataset.registration ?? "open") as Registration;

function showLogin(message?: string): void {
  document.title = "chatapp";
  fill(root, loginView({ registration, message, onLoggedIn: startChat }));
}

function startChat(user: User): void {
  const store = new Store(user);
  const connection = new Connection(store, (message) => {
    connection.close();
    showLogin(message);
  });
  const actions = new Actions(store, connection);
  const logOut = async (): Promise<void> => {
    connection.close();
    try {
      await api.logOut();
    } catch {
      // Already logged out (or the server is away): the login screen either way.
    }
    showLogin();
  };
  fill(root, chatView(store, connection, actions, () => void logOut()));
  connection.start();
}

async function boot(): Promise<void> {
  try {
    const user = await api.me();
    if (user) startChat(user);
    else showLogin();
  } catch (failure) {
    const retry = h("button", { type: "button", onclick: () => void boot() }, "Try again");
    const why = failure instanceof Error ? failure.message : String(failure);
    fill(root, h("main", { class: "login" }, h("h1", {}, "chatapp"), h("p", { role: "alert" }, why), retry));
  }
}

void boot();
