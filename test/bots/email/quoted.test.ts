import { describe, expect, it } from "vitest";
import { htmlToText, stripQuoted } from "../../../bots/email/index.ts";

describe("stripQuoted", () => {
  it("keeps the new text above a Gmail attribution and the quote under it", () => {
    const text = [
      "The mugs arrived, thank you!",
      "",
      "On Sat, 14 Mar 2026 at 10:00, Rapport Shop <hello@shop.test> wrote:",
      "> Thank you for your order, Jan.",
      "> Your mugs are on their way.",
    ].join("\r\n");
    expect(stripQuoted(text)).toBe("The mugs arrived, thank you!");
  });

  it("recognises an attribution Gmail wrapped over two lines", () => {
    const text = [
      "Great, thanks.",
      "",
      "On Sat, 14 Mar 2026 at 10:00, Rapport Shop Customer Care Team <",
      "hello@shop.test> wrote:",
      "",
      "> Thank you for your order.",
    ].join("\n");
    expect(stripQuoted(text)).toBe("Great, thanks.");
  });

  it("strips Indonesian quoted history (Pada … menulis:)", () => {
    const text = [
      "Terima kasih, pesanan sudah sampai.",
      "",
      "Pada tanggal Sab, 14 Mar 2026 pukul 10.00 Toko Rapport <halo@shop.test> menulis:",
      "> Terima kasih atas pesanan Anda.",
    ].join("\n");
    expect(stripQuoted(text)).toBe("Terima kasih, pesanan sudah sampai.");
  });

  it("strips Polish quoted history (W dniu … pisze: and … napisał(a):)", () => {
    const thunderbird = [
      "Dziękuję, kubki dotarły.",
      "",
      "W dniu 14.03.2026 o 10:00, Sklep pisze:",
      "> Dziękujemy",
    ];
    const gmail = [
      "Dziękuję!",
      "",
      "sob., 14 mar 2026 o 10:00 Sklep Rapport <czesc@shop.test> napisał(a):",
      "",
      "> Dziękujemy za zamówienie.",
    ];
    expect(stripQuoted(thunderbird.join("\n"))).toBe("Dziękuję, kubki dotarły.");
    expect(stripQuoted(gmail.join("\n"))).toBe("Dziękuję!");
  });

  it("cuts at Outlook's Original Message separator and at its From:/Sent: header block", () => {
    const separator = [
      "Yes please.",
      "",
      "-----Original Message-----",
      "From: Shop",
      "Thanks for your order",
    ];
    const block = [
      "Yes please.",
      "",
      "________________________________",
      "From: Rapport Shop <hello@shop.test>",
      "Sent: Saturday, March 14, 2026 10:00 AM",
      "To: jan@example.com",
      "Subject: Thank you",
    ];
    const noRule = [
      "Yes please.",
      "",
      "From: Rapport Shop <hello@shop.test>",
      "Sent: Saturday",
      "Subject: Hi",
    ];
    expect(stripQuoted(separator.join("\n"))).toBe("Yes please.");
    expect(stripQuoted(block.join("\n"))).toBe("Yes please.");
    expect(stripQuoted(noRule.join("\n"))).toBe("Yes please.");
  });

  it("drops lines quoted with > and the signature after '-- '", () => {
    const text = ["> Which size?", "Large, please.", "", "-- ", "Jan Kowalski", "+48 601 234 567"].join("\n");
    expect(stripQuoted(text)).toBe("Large, please.");
  });

  it("keeps a line that merely mentions From: without a header block under it", () => {
    expect(stripQuoted("From: my office in Kraków I can pick it up.\nThanks")).toBe(
      "From: my office in Kraków I can pick it up.\nThanks",
    );
  });

  it("returns the whole text when everything is quoted, so a message is never emptied", () => {
    expect(stripQuoted("> only a quote\n> nothing new")).toBe("> only a quote\n> nothing new");
  });
});

describe("htmlToText", () => {
  it("turns blocks and <br> into lines, decodes entities and marks blockquotes as quoted", () => {
    const html = `<html><head><style>p{color:red}</style></head><body><div dir="ltr">Fish &amp; chips<br>tomorrow&nbsp;please</div>
<div class="gmail_quote"><div>On Sat, 14 Mar 2026, Shop &lt;hello@shop.test&gt; wrote:</div>
<blockquote><p>Thank you for your order.</p></blockquote></div></body></html>`;
    const text = htmlToText(html);
    expect(text).toBe(
      "Fish & chips\ntomorrow please\n\nOn Sat, 14 Mar 2026, Shop <hello@shop.test> wrote:\n\n> Thank you for your order.",
    );
    expect(stripQuoted(text)).toBe("Fish & chips\ntomorrow please");
  });
});
