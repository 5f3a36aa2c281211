export { buildWidgetScript } from "./assets.ts";
export { createWebchatChannel } from "./channel.ts";
export {
  createWebchatHub,
  type PublishResult,
  type Subscription,
  type WebchatEvent,
  type WebchatHub,
  type WebchatHubOptions,
} from "./hub.ts";
export type { WebchatOptions } from "./options.ts";
export { type SharedWebchatHub, shareWebchatHub } from "./redis-hub.ts";
export { registerWebchat } from "./register.ts";
export { verifyVisitorToken, visitorToken } from "./token.ts";
export type { HistoryMessage } from "./visitors.ts";
