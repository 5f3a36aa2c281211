/** X (Twitter): the polling listener (mentions, DMs, keyword search), the outbound channel and the client. */
export { createXChannel, type XChannelOptions } from "./channel.ts";
export { createXClient, type XClientOptions } from "./client.ts";
export { toSendError as toXSendError, X_CREDENTIALS_FIX, X_PERMISSIONS_FIX } from "./errors.ts";
export { dmToInbound, localeOf, tweetToInbound, type XBrand } from "./inbound.ts";
export { createXListener, type XListener, type XListenerOptions } from "./listener.ts";
export { fitText, weightedLength } from "./text.ts";
