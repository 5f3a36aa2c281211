/** A command a customer can send on any chat platform, as parsed from the message text. */
export type Command =
  | { name: "stop" }
  | { name: "start"; payload?: string }
  | { name: "link"; code?: string }
  | { name: "rate"; score?: number }
  | { name: "help" };

/**
 * Reads a command from a message text: "/stop", "/start <payload>", "/link [code]", "/rate <1-5>", "/help",
 * case-insensitive, with an optional "@botname" suffix (Telegram groups). Anything else is not a command.
 */
export function parseCommand(text: string): Command | undefined {
  const match = /^\/([a-z]+)(?:@\w+)?(?:\s+(.*))?$/is.exec(text.trim());
  if (!match) return undefined;
  const name = match[1]!.toLowerCase();
  const argument = match[2]?.trim() || undefined;
  switch (name) {
    case "stop":
    case "unsubscribe":
      return { name: "stop" };
    case "start":
      return { name: "start", payload: argument };
    case "link":
      return { name: "link", code: argument?.toUpperCase() };
    case "rate": {
      const score = argument && /^[1-5]$/.test(argument) ? Number(argument) : undefined;
      return { name: "rate", score };
    }
    case "help":
      return { name: "help" };
    default:
      return undefined;
  }
}

/** An email address written in a message ("my email is jan@example.com"), lower-cased, if there is one. */
export function emailIn(text: string): string | undefined {
  return /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/.exec(text)?.[0].toLowerCase();
}
