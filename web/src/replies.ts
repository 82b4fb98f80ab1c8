// Reading acks: the reason a call failed, whether the server said it or not.

import type { ErrorInfo, Reply } from "./types";

export const NO_ANSWER: ErrorInfo = { code: "timeout", message: "No answer from the server; try again." };

/** Why `reply` is not a success: the server's error, or that no answer came. */
export function errorOf(reply: Reply | null): ErrorInfo {
  return reply && !reply.ok ? reply.error : NO_ANSWER;
}
