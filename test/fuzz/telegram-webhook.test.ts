import { afterAll, beforeAll, it } from "vitest";
import {
  buildContactMessage,
  buildTextMessage,
  envFor,
  type FakeTelegram,
  startFakeTelegram,
} from "../fakes/index.ts";
import { assertAlive, clientIp, rowCounts, sendChecked, useFuzzApp } from "./support/app.ts";
import { type GeneratedRequest, requestsFor } from "./support/requests.ts";
import { checkProperty, useFuzzSummary } from "./support/run.ts";

const SECRET = "rapport-fuzz-hook_0123456789";
const DATE = 1_790_000_000;
let telegram: FakeTelegram;
beforeAll(async () => {
  telegram = await startFakeTelegram();
});
const fuzz = useFuzzApp(() => ({
  ...envFor({ telegram }),
  TELEGRAM_MODE: "webhook",
  TELEGRAM_WEBHOOK_SECRET: SECRET,
  PUBLIC_URL: "https://crm.example.com",
}));
const summary = useFuzzSummary("telegram-webhook");
afterAll(async () => {
  await assertAlive(fuzz.app.url!);
  await telegram?.close();
});

/** Updates as Telegram sends them: a text, a command, the sender's own contact, a button press. */
const UPDATES = [
  {
    update_id: 900_001,
    message: buildTextMessage({ chatId: 704_100, text: "Halo, pesanan saya?", messageId: 11, date: DATE }),
  },
  {
    update_id: 900_002,
    message: buildTextMessage({ chatId: 704_101, text: "/start ref_promo", messageId: 12, date: DATE }),
  },
  {
    update_id: 900_003,
    message: buildContactMessage({ chatId: 704_102, phoneNumber: "48601234567", messageId: 13, date: DATE }),
  },
  {
    update_id: 900_004,
    callback_query: {
      id: "4382bfdwdsb323b2d9",
      from: { id: 704_103, is_bot: false, first_name: "Ada", language_code: "pl" },
      message: buildTextMessage({ chatId: 704_103, text: "Rate us", messageId: 14, date: DATE }),
      chat_instance: "-7218412371239",
      data: "survey:5",
    },
  },
];

/** What the route takes as an update at all (bots/telegram/webhook.ts): anything else is answered 200 and skipped. */
function isUpdate(body: Buffer): boolean {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { update_id?: unknown } | null;
    return Number.isInteger(parsed?.update_id) && (parsed!.update_id as number) >= 0;
  } catch {
    return false;
  }
}

it("answers every generated update 200 or 4xx, never 5xx; a refused or skipped body writes nothing", async () => {
  await checkProperty(
    summary,
    "POST /webhooks/telegram",
    requestsFor(...UPDATES),
    async (request: GeneratedRequest) => {
      const before = await rowCounts(fuzz.db);
      const response = await sendChecked(fuzz.db, fuzz.app.url!, {
        method: "POST",
        path: "/webhooks/telegram",
        headers: {
          "content-type": request.contentType,
          "x-forwarded-for": clientIp(request.client),
          "x-telegram-bot-api-secret-token":
            request.signing === "signed" ? SECRET : request.signing === "wrong" ? `${SECRET}x` : undefined,
        },
        body: request.body,
      });
      summary.count("POST /webhooks/telegram", response.status);
      // a body that does not parse is refused (400/415) before the secret is looked at: never accepted unsigned
      if (request.signing !== "signed" && response.status < 400)
        throw new Error(`a request without the secret got ${response.status}`);
      if (response.status === 200 && !isUpdate(request.body)) {
        const after = await rowCounts(fuzz.db);
        if (JSON.stringify(after) !== JSON.stringify(before))
          throw new Error(`a body that is not an update wrote rows: ${JSON.stringify({ before, after })}`);
      }
    },
    80,
  );
});
