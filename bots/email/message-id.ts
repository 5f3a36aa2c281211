/** The domain of an address or "Name <address>", lower-cased; "rapport.local" when there is none. */
export function domainOf(address: string): string {
  return /@([^>\s]+)\s*>?\s*$/.exec(address.trim())?.[1]?.toLowerCase() ?? "rapport.local";
}

/**
 * The Message-ID Rapport gives the email of a Delivery: `<delivery-id@domain of the sender>`. Resend and the
 * outbox both use it, so a customer's reply names our Delivery in its `In-Reply-To` and `References` headers.
 */
export function messageIdFor(deliveryId: string, from: string): string {
  return `<${deliveryId}@${domainOf(from)}>`;
}

const UUID = /^<([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@[^>\s]+>$/i;

/** The Delivery id in a Message-ID Rapport made ({@link messageIdFor}), else undefined. */
export function deliveryIdIn(messageId: string): string | undefined {
  return UUID.exec(messageId.trim())?.[1]?.toLowerCase();
}

/**
 * The message ids of an `In-Reply-To` or `References` header, in order: every `<…>` token, or, for a
 * sender that left the brackets out, every whitespace-separated token with an "@", bracketed.
 */
export function parseMessageIds(header: string | undefined | null): string[] {
  if (!header) return [];
  const bracketed = header.match(/<[^<>\s]+>/g);
  if (bracketed) return bracketed;
  return header
    .split(/[\s,]+/)
    .filter((token) => token.includes("@"))
    .map((token) => `<${token}>`);
}
