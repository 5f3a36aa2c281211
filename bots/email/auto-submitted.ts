import { headerOf, type ReceivedEmail } from "./received.ts";

/**
 * Why an email was written by a machine rather than a person, or undefined: RFC 3834 `Auto-Submitted`
 * (anything but "no"), the older autoresponders' `X-Autoreply`/`X-Autorespond`,
 * `Precedence: bulk|junk|auto_reply|list`, or a mailer daemon as sender. Such mail (out-of-office notes,
 * delivery reports) is not a customer's message, and answering it could start a mail loop.
 */
export function automaticReason(email: ReceivedEmail, sender: string): string | undefined {
  const auto = headerOf(email, "auto-submitted")?.trim().toLowerCase();
  if (auto && auto !== "no") return `Auto-Submitted: ${auto}`;
  if (headerOf(email, "x-autoreply") !== undefined) return "X-Autoreply";
  if (headerOf(email, "x-autorespond") !== undefined) return "X-Autorespond";
  const precedence = headerOf(email, "precedence")?.trim().toLowerCase();
  if (precedence && ["bulk", "junk", "auto_reply", "list"].includes(precedence))
    return `Precedence: ${precedence}`;
  if (/^(mailer-daemon|postmaster)@/i.test(sender)) return "mailer daemon";
  return undefined;
}
