import type { SendingChannelName } from "../lib/channels.ts";
import { discord } from "./discord/platform.ts";
import { email } from "./email/platform.ts";
import type { Platform } from "./platform.ts";
import { sms } from "./sms/platform.ts";
import { telegram } from "./telegram/platform.ts";
import { webchat } from "./webchat/platform.ts";
import { whatsapp } from "./whatsapp/platform.ts";
import { x } from "./x/platform.ts";

/**
 * Every platform Rapport speaks on, one line each: `cli/` builds, routes, starts and stops them in this order,
 * and each one's channel gets its `deliver-<name>` queue. A new platform is a folder under `bots/` exporting a
 * {@link Platform}, and its line here (docs/adding-a-platform.md).
 */
export const PLATFORMS = [telegram, discord, x, email, webchat, whatsapp, sms] as const;

/** Fails to compile while a sending channel has no platform in {@link PLATFORMS}. */
type Unlisted = Exclude<SendingChannelName, (typeof PLATFORMS)[number]["name"]>;
const everyChannelListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyChannelListed;

export type { Platform, PlatformContext, PlatformRuntime } from "./platform.ts";
