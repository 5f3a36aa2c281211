import type { FastifyInstance } from "fastify";
import { registerCallPop } from "../calls.ts";
import type { ConsoleDeps } from "../deps.ts";
import { createLiveHub } from "../live.ts";
import { registerCanned } from "./canned.ts";
import { registerConversation } from "./conversation.ts";
import { registerConversationActions } from "./conversation-actions.ts";
import { registerLiveEvents } from "./events.ts";
import { registerInbox } from "./inbox.ts";
import { registerListening } from "./listening.ts";

/**
 * The support area of the console (issue #6): the inbox, the conversation view with its customer panel and
 * actions, canned responses, the listening desk (issue 15), and the live event stream. Without a live hub in
 * `deps`, one serves this process.
 */
export function registerInboxArea(scope: FastifyInstance, deps: ConsoleDeps): void {
  const live = deps.live ?? createLiveHub({ log: deps.log });
  const withLive = { ...deps, live };
  registerInbox(scope, withLive);
  registerConversation(scope, withLive);
  registerConversationActions(scope, withLive);
  registerCanned(scope, withLive);
  registerLiveEvents(scope, live);
  registerCallPop(scope, withLive);
  registerListening(scope, withLive);
}
