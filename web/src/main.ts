// The browser client's entry point: who is logged in, then the login screen
// or the chat. Served by chatapp at / (chatapp/templates/app.html).

import "./app.css";
import { Actions } from "./actions";
import * as api from "./api";
import { fill } from "./dom";
import { Connection } from "./protocol";
import { Store } from "./state";
import type { User } from "./types";
import { chatView } from "./views/chat";
import { loginView, type Registration } from "./views/login";

const root = document.getElementById("app") as HTMLElement;
const registration = (document.body.dataset.registration ?? "open") as Registration;

/** Who is logged in, as the page says (chatapp/templates/app.html); null for nobody. */
function pageUser(): User | null {
  const { userId, username, admin } = document.body.dataset;
  return userId && username ? { id: Number(userId), username, is_admin: admin === "true" } : null;
}

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

const user = pageUser();
if (user) startChat(user);
else showLogin();
