// The REST calls of the page: accounts (cookie session) and the public room list.
// Same origin, JSON bodies: the server's Origin check guards every POST.

import type { RoomInfo, User } from "./types";

export class ApiError extends Error {
  constructor(
    message: string,
    public code: string,
    public status: number,
    public retryAfter?: number,
  ) {
    super(message);
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError("The server cannot be reached; try again.", "unreachable", 0);
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = data?.error ?? {};
    const message = typeof error.message === "string" ? error.message : response.statusText;
    throw new ApiError(message, String(error.code ?? "error"), response.status, error.retry_after);
  }
  return data as T;
}

export async function logIn(username: string, password: string): Promise<User> {
  return (await request<{ user: User }>("POST", "/api/auth/login", { username, password })).user;
}

export async function register(username: string, password: string, invite?: string): Promise<void> {
  await request("POST", "/api/auth/register", invite ? { username, password, invite } : { username, password });
}

export async function logOut(): Promise<void> {
  await request("POST", "/api/auth/logout");
}

export interface RoomPage {
  rooms: RoomInfo[];
  next_cursor: string | null;
}

/** A page of public rooms and the user's own, by name. */
export async function listRooms(after?: string): Promise<RoomPage> {
  const query = new URLSearchParams({ limit: "50" });
  if (after) query.set("after", after);
  return request<RoomPage>("GET", `/api/rooms?${query}`);
}
