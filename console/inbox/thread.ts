import type { Db, Prisma } from "../../lib/db/index.ts";

/** How many of the latest messages a conversation page shows. */
export const THREAD_LIMIT = 200;

/** Delivery statuses of an outbound message that has not become an Interaction (not sent). */
const UNSENT = ["planned", "queued", "failed", "suppressed", "skipped"] as const;

/** One message of a conversation as the page shows it. */
export interface ThreadItem {
  /** Its element id on the page: `d-<delivery id>` for anything sent through a Delivery, else `i-<id>`. */
  ref: string;
  side: "in" | "out" | "note";
  author: string;
  /** The customer's, staff member's or nobody's (the bot) name. */
  authorName: string | null;
  text: string;
  at: Date;
  edited: boolean;
  /** The Delivery behind an outbound message: queued, sent, failed (with why), suppressed, skipped. */
  delivery?: {
    id: string;
    status: string;
    reason: string | null;
    error: string | null;
    /** A failed one can be sent again. */
    retry: boolean;
  };
}

const interactionSelect = {
  id: true,
  direction: true,
  author: true,
  staffUserId: true,
  text: true,
  sentAt: true,
  editedAt: true,
  deliveryId: true,
  internal: true,
} satisfies Prisma.InteractionSelect;

type InteractionRow = Prisma.InteractionGetPayload<{ select: typeof interactionSelect }>;

const deliverySelect = {
  id: true,
  status: true,
  reason: true,
  error: true,
  data: true,
  createdAt: true,
} satisfies Prisma.DeliverySelect;

type DeliveryRow = Prisma.DeliveryGetPayload<{ select: typeof deliverySelect }>;

/** A page of a conversation's messages. */
export interface Thread {
  items: ThreadItem[];
  /** The id of the oldest message shown, when there are older ones: `?before=` of the page showing them. */
  earlier: string | null;
}

/**
 * The latest messages of a conversation in platform order (`sentAt`, the platform's own time), each outbound
 * one with its Delivery's status, then the replies not sent yet (queued, failed, held) in the order they were
 * written. Internal notes are there too, marked as such. With `before` (a message id of this conversation),
 * the {@link THREAD_LIMIT} messages before that one instead, by keyset, without the unsent replies: however
 * long the conversation, every page costs the same.
 */
export async function loadThread(
  db: Db,
  conversation: { id: string; customerId: string },
  customerName: string | null,
  before?: string,
): Promise<Thread> {
  const cursor =
    before && /^[0-9a-f-]{36}$/.test(before)
      ? await db.interaction.findFirst({
          where: { id: before, conversationId: conversation.id },
          select: { id: true },
        })
      : null;
  const [latest, unsent] = await Promise.all([
    db.interaction.findMany({
      where: { conversationId: conversation.id },
      orderBy: [{ sentAt: "desc" }, { createdAt: "desc" }, { id: "desc" }],
      take: THREAD_LIMIT + 1,
      ...(cursor && { cursor: { id: cursor.id }, skip: 1 }),
      select: interactionSelect,
    }),
    cursor
      ? Promise.resolve([])
      : db.delivery.findMany({
          // the customer's own index; campaign messages have no conversation
          where: {
            customerId: conversation.customerId,
            conversationId: conversation.id,
            status: { in: [...UNSENT] },
          },
          orderBy: { createdAt: "asc" },
          take: 50,
          select: deliverySelect,
        }),
  ]);
  const more = latest.length > THREAD_LIMIT;
  const interactions = latest.slice(0, THREAD_LIMIT).reverse();
  const deliveryIds = interactions.flatMap((i) => (i.deliveryId ? [i.deliveryId] : []));
  const sent = deliveryIds.length
    ? await db.delivery.findMany({ where: { id: { in: deliveryIds } }, select: deliverySelect })
    : [];
  const names = await staffNames(db, [
    ...interactions.map((i) => i.staffUserId),
    ...unsent.map((d) => staffOf(d.data)),
  ]);
  const byId = new Map(sent.map((d) => [d.id, d]));
  return {
    items: [
      ...interactions.map((i) =>
        fromInteraction(i, i.deliveryId ? byId.get(i.deliveryId) : undefined, names, customerName),
      ),
      ...unsent.map((d) => fromDelivery(d, names)),
    ],
    earlier: more ? (interactions[0]?.id ?? null) : null,
  };
}

/**
 * One message by its page ref (`i-<id>` or `d-<delivery id>`), if it belongs to the conversation: what a
 * live update fetches to add or refresh it.
 */
export async function loadThreadItem(
  db: Db,
  conversation: { id: string; customerId: string },
  ref: string,
  customerName: string | null,
): Promise<ThreadItem | undefined> {
  const [prefix, id] = [ref.slice(0, 2), ref.slice(2)];
  if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
  if (prefix === "i-") {
    const interaction = await db.interaction.findFirst({
      where: { id, conversationId: conversation.id },
      select: interactionSelect,
    });
    if (!interaction) return undefined;
    const delivery = interaction.deliveryId
      ? await db.delivery.findUnique({ where: { id: interaction.deliveryId }, select: deliverySelect })
      : null;
    const names = await staffNames(db, [interaction.staffUserId]);
    return fromInteraction(interaction, delivery ?? undefined, names, customerName);
  }
  if (prefix !== "d-") return undefined;
  const delivery = await db.delivery.findFirst({
    where: { id, conversationId: conversation.id },
    select: deliverySelect,
  });
  if (!delivery) return undefined;
  const interaction = await db.interaction.findUnique({
    where: { deliveryId: id },
    select: interactionSelect,
  });
  const names = await staffNames(db, [interaction?.staffUserId ?? staffOf(delivery.data)]);
  return interaction
    ? fromInteraction(interaction, delivery, names, customerName)
    : fromDelivery(delivery, names);
}

function fromInteraction(
  i: InteractionRow,
  delivery: DeliveryRow | undefined,
  names: Map<string, string>,
  customerName: string | null,
): ThreadItem {
  const side = i.internal ? "note" : i.direction === "inbound" ? "in" : "out";
  return {
    ref: i.deliveryId ? `d-${i.deliveryId}` : `i-${i.id}`,
    side,
    author: i.author,
    authorName:
      i.author === "customer" ? customerName : i.staffUserId ? (names.get(i.staffUserId) ?? null) : null,
    text: i.text,
    at: i.sentAt,
    edited: i.editedAt !== null,
    ...(delivery && { delivery: deliveryState(delivery) }),
  };
}

function fromDelivery(d: DeliveryRow, names: Map<string, string>): ThreadItem {
  const staffUserId = staffOf(d.data);
  const text = (d.data as { text?: unknown } | null)?.text;
  return {
    ref: `d-${d.id}`,
    side: "out",
    author: staffUserId ? "staff" : "bot",
    authorName: staffUserId ? (names.get(staffUserId) ?? null) : null,
    text: typeof text === "string" ? text : "",
    at: d.createdAt,
    edited: false,
    delivery: deliveryState(d),
  };
}

function deliveryState(d: DeliveryRow): NonNullable<ThreadItem["delivery"]> {
  return { id: d.id, status: d.status, reason: d.reason, error: d.error, retry: d.status === "failed" };
}

function staffOf(data: unknown): string | null {
  const fields = (data ?? {}) as { author?: unknown; staffUserId?: unknown };
  return fields.author === "staff" && typeof fields.staffUserId === "string" ? fields.staffUserId : null;
}

async function staffNames(db: Db, ids: ReadonlyArray<string | null>): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  if (wanted.length === 0) return new Map();
  const staff = await db.staffUser.findMany({
    where: { id: { in: wanted } },
    select: { id: true, name: true, email: true },
  });
  return new Map(staff.map((s) => [s.id, s.name || s.email]));
}
