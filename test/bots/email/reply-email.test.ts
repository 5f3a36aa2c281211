import { describe, expect, it } from "vitest";
import {
  emailReply,
  messageIdFor,
  parseMessageIds,
  replySubject,
  stripQuoted,
} from "../../../bots/email/index.ts";

const thread = {
  subject: "Re: Thank you for your order",
  messageId: "<cafe@mail.customer.test>",
  references: ["<0f5d6c1e-1111-4a4a-8b8b-000000000001@shop.test>", "<cafe@mail.customer.test>"],
  from: "Jan Kowalski <jan@example.com>",
  text: "Does it come in blue?",
  sentAt: new Date("2026-03-14T09:30:00Z"),
};

describe("replySubject", () => {
  it("puts one Re: before the subject, whatever prefix the customer's client used", () => {
    expect(replySubject("Thank you", "x")).toBe("Re: Thank you");
    expect(replySubject("Re: Thank you", "x")).toBe("Re: Thank you");
    expect(replySubject("RE: Re: Odp: AW: Thank you", "x")).toBe("Re: Thank you");
    expect(replySubject("  ", "A reply to your message")).toBe("A reply to your message");
  });
});

describe("emailReply", () => {
  it("answers the customer's last email: Re: subject, In-Reply-To, References, their text quoted", () => {
    const reply = emailReply({ text: "Yes, in blue too.", locale: "en", timeZone: "Europe/Warsaw", thread });
    expect(reply.subject).toBe("Re: Thank you for your order");
    expect(reply.headers).toEqual({
      "In-Reply-To": "<cafe@mail.customer.test>",
      References: "<0f5d6c1e-1111-4a4a-8b8b-000000000001@shop.test> <cafe@mail.customer.test>",
    });
    expect(reply.text).toBe(
      "Yes, in blue too.\n\nOn Mar 14, 2026, 10:30 AM, Jan Kowalski <jan@example.com> wrote:\n> Does it come in blue?\n",
    );
    expect(reply.html).toContain("<p>Yes, in blue too.</p>");
    expect(reply.html).toContain("Jan Kowalski &lt;jan@example.com&gt;");
    expect(reply.html).toContain("<blockquote");
  });

  it("marks the bot's replies Auto-Submitted (RFC 3834), and nobody else's", () => {
    const bot = emailReply({ text: "We are away.", locale: "en", timeZone: "UTC", thread, automatic: true });
    expect(bot.headers["Auto-Submitted"]).toBe("auto-replied");
    const person = emailReply({ text: "Hi!", locale: "en", timeZone: "UTC", thread });
    expect(person.headers["Auto-Submitted"]).toBeUndefined();
  });

  it("writes the attribution in the customer's language, which the quote stripper recognises", () => {
    for (const locale of ["en", "id", "pl-PL"]) {
      const reply = emailReply({ text: "Tak.", locale, timeZone: "Asia/Jakarta", thread });
      expect(stripQuoted(`Dziękuję\n\n${reply.text}`)).toBe("Dziękuję\n\nTak.");
    }
    expect(emailReply({ text: "Ya.", locale: "id", timeZone: "Asia/Jakarta", thread }).text).toContain(
      "Pada 14 Mar 2026, 16.30, Jan Kowalski <jan@example.com> menulis:",
    );
  });

  it("without a thread is a plain email with a subject in the customer's language", () => {
    const reply = emailReply({ text: "Hello\n\nSecond paragraph", locale: "pl", timeZone: "UTC" });
    expect(reply).toEqual({
      subject: "Odpowiedź na Twoją wiadomość",
      text: "Hello\n\nSecond paragraph",
      html: "<p>Hello</p>\n<p>Second paragraph</p>",
      headers: {},
    });
  });
});

describe("message ids", () => {
  it("names a Delivery in the sender's domain and reads ids back from headers", () => {
    expect(messageIdFor("0f5d6c1e-1111-4a4a-8b8b-000000000001", "Shop <Hello@Shop.Test>")).toBe(
      "<0f5d6c1e-1111-4a4a-8b8b-000000000001@shop.test>",
    );
    expect(parseMessageIds("<a@x> <b@y>\r\n <c@z>")).toEqual(["<a@x>", "<b@y>", "<c@z>"]);
    expect(parseMessageIds("a@x")).toEqual(["<a@x>"]);
    expect(parseMessageIds(undefined)).toEqual([]);
  });
});
