import { randomInt } from "node:crypto";

/** A user as X API v2 returns it, with every field the fake knows (routes pick the requested ones). */
export interface XUser {
  id: string;
  name: string;
  username: string;
  profile_image_url: string;
  created_at: string;
  verified: boolean;
}

/** A post (tweet) as X API v2 returns it, with every field the fake knows. */
export interface XTweet {
  id: string;
  text: string;
  edit_history_tweet_ids: string[];
  author_id: string;
  created_at: string;
  conversation_id: string;
  lang: string;
  entities?: { mentions: Array<{ start: number; end: number; username: string; id: string }> };
  in_reply_to_user_id?: string;
  referenced_tweets?: Array<{ type: "replied_to"; id: string }>;
}

/** A direct-message event as `GET /2/dm_events` returns it. */
export interface XDmEvent {
  id: string;
  event_type: "MessageCreate";
  text: string;
  sender_id: string;
  dm_conversation_id: string;
  created_at: string;
  participant_ids: string[];
}

/** Who writes a post or DM in the fake: an X user, created on first use. */
export interface XAuthorInput {
  username: string;
  /** Defaults to a stable id derived from the order users were created in. */
  userId?: string;
  /** Display name. Defaults to the username. */
  name?: string;
}

/** A public post to add to the fake's timeline. */
export interface XTweetInput extends XAuthorInput {
  text: string;
  /** BCP 47 tag or X's own codes ("und", "qme", "in"). Defaults to "en". */
  lang?: string;
  /** Defaults to the fake's clock. */
  createdAt?: Date;
  /** The post this one answers. */
  inReplyToTweetId?: string;
}

/** A DM a user sends to the brand. */
export interface XDirectMessageInput extends XAuthorInput {
  text: string;
  createdAt?: Date;
}

/**
 * Snowflake-like ids: strictly increasing, 19 digits, compared by value as X's are. Each fake starts at a
 * random point, so fakes sharing one test database never hand out the same id.
 */
class IdSequence {
  private next = 1_850_000_000_000_000_000n + BigInt(randomInt(0, 2 ** 40)) * 1_000_000n;
  take(): string {
    this.next += 1_000n + BigInt(Math.floor(Math.random() * 1_000));
    return String(this.next);
  }
}

/** Compares two snowflake ids by value. */
export function compareIds(a: string, b: string): number {
  const diff = BigInt(a) - BigInt(b);
  return diff === 0n ? 0 : diff > 0n ? 1 : -1;
}

/** Everything the fake X knows: users, public posts, DM events. Newest last in every list. */
export class XState {
  readonly users = new Map<string, XUser>();
  readonly tweets: XTweet[] = [];
  readonly dmEvents: XDmEvent[] = [];
  private readonly ids = new IdSequence();
  private userSeq = 0;
  private readonly userBase = randomInt(1, 2 ** 40) * 1000;

  constructor(
    readonly brand: XUser,
    private readonly now: () => number,
  ) {
    this.users.set(brand.id, brand);
  }

  /** The user with this username (case-insensitive), created if new. */
  user(input: XAuthorInput): XUser {
    const known = [...this.users.values()].find(
      (u) => u.username.toLowerCase() === input.username.toLowerCase() || u.id === input.userId,
    );
    if (known) return known;
    this.userSeq += 1;
    const id = input.userId ?? String(this.userBase + this.userSeq);
    const user: XUser = {
      id,
      name: input.name ?? input.username,
      username: input.username,
      profile_image_url: `https://pbs.twimg.com/profile_images/${id}/avatar_normal.jpg`,
      created_at: "2020-01-01T00:00:00.000Z",
      verified: false,
    };
    this.users.set(id, user);
    return user;
  }

  /** Adds a public post, with `entities.mentions` derived from its "@handles" as X does. */
  addTweet(author: XUser, input: Omit<XTweetInput, keyof XAuthorInput>): XTweet {
    const id = this.ids.take();
    const parent = input.inReplyToTweetId
      ? this.tweets.find((t) => t.id === input.inReplyToTweetId)
      : undefined;
    const mentions = [...input.text.matchAll(/@(\w{1,15})/g)].flatMap((m) => {
      const user = [...this.users.values()].find((u) => u.username.toLowerCase() === m[1]!.toLowerCase());
      return user
        ? [{ start: m.index, end: m.index + m[0].length, username: user.username, id: user.id }]
        : [];
    });
    const tweet: XTweet = {
      id,
      text: input.text,
      edit_history_tweet_ids: [id],
      author_id: author.id,
      created_at: (input.createdAt ?? new Date(this.now())).toISOString(),
      conversation_id: parent?.conversation_id ?? id,
      lang: input.lang ?? "en",
      ...(mentions.length ? { entities: { mentions } } : {}),
      ...(parent
        ? {
            in_reply_to_user_id: parent.author_id,
            referenced_tweets: [{ type: "replied_to", id: parent.id }],
          }
        : {}),
    };
    this.tweets.push(tweet);
    return tweet;
  }

  /** Adds a MessageCreate event between `sender` and `recipient`. */
  addDmEvent(sender: XUser, recipient: XUser, text: string, createdAt?: Date): XDmEvent {
    const pair = [sender.id, recipient.id].sort(compareIds);
    const event: XDmEvent = {
      id: this.ids.take(),
      event_type: "MessageCreate",
      text,
      sender_id: sender.id,
      dm_conversation_id: pair.join("-"),
      created_at: (createdAt ?? new Date(this.now())).toISOString(),
      participant_ids: pair,
    };
    this.dmEvents.push(event);
    return event;
  }

  /** Posts that mention `userId`, newest first. */
  mentionsOf(userId: string): XTweet[] {
    return this.tweets.filter((t) => t.entities?.mentions.some((m) => m.id === userId)).reverse();
  }

  /** Posts matching a search query, newest first (see {@link matchesQuery}). */
  search(query: string): XTweet[] {
    return this.tweets.filter((t) => matchesQuery(query, t, this.users.get(t.author_id))).reverse();
  }
}

/**
 * A small subset of X's search syntax, enough for OR'ed keywords: bare words and "quoted phrases" (any of
 * them, case-insensitive), `-from:<username>` and `-is:retweet`. Other operators are ignored.
 */
export function matchesQuery(query: string, tweet: XTweet, author: XUser | undefined): boolean {
  const tokens = query.match(/-?"[^"]*"|[^\s()]+/g) ?? [];
  const wanted: string[] = [];
  for (const token of tokens) {
    if (token === "OR" || token === "AND") continue;
    const excludedFrom = /^-from:(\w+)$/i.exec(token);
    if (excludedFrom) {
      if (author?.username.toLowerCase() === excludedFrom[1]!.toLowerCase()) return false;
      continue;
    }
    if (token.includes(":")) continue;
    if (token.startsWith("-")) continue;
    wanted.push(token.replace(/"/g, "").toLowerCase());
  }
  const text = tweet.text.toLowerCase();
  return wanted.some((w) => text.includes(w));
}
