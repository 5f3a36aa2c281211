/**
 * Lines that start the quoted history under a reply, in English, Indonesian and Polish, as Gmail, Outlook,
 * Apple Mail and Thunderbird write them. Everything from the first such line down is history.
 */
const ATTRIBUTION = [
  // en: "On Mon, 3 Mar 2026 at 10:00, Shop <hello@shop.test> wrote:"
  /^On\b.+\bwrote:$/i,
  // id: "Pada tanggal Sen, 3 Mar 2026 pukul 10.00 Shop <hello@shop.test> menulis:"
  /^Pada\b.+\bmenulis:$/i,
  // pl: "W dniu pon., 3 mar 2026 o 10:00 Shop <hello@shop.test> napisał(a):", Thunderbird's "… pisze:"
  /^W dniu\b.+\b(pisze|napisał|napisała|napisał\(a\)):$/i,
  /^.+\bnapisał\(a\):$/i,
];

/** Outlook's separators: "-----Original Message-----" and its translations, and a line of underscores. */
const SEPARATOR = [
  /^-{2,}\s*(Original Message|Pesan Asli|Wiadomość oryginalna|Oryginalna wiadomość)\s*-{2,}$/i,
  /^-{2,}\s*(Forwarded message|Pesan yang diteruskan|Wiadomość przekazana dalej)\s*-{2,}$/i,
  /^_{10,}$/,
];

/** The first line of an Outlook header block ("From: …" then "Sent:", "To:", "Subject:" …), per language. */
const HEADER_FROM = /^\*?(From|Dari|Od):\*?\s/i;
const HEADER_NEXT =
  /^\*?(Sent|Date|To|Cc|Subject|Dikirim|Tanggal|Kepada|Subjek|Wysłano|Data|Do|Temat|DW):\*?\s/i;

/** A signature starts at "-- " (RFC 3676; often trimmed to "--"); a phone's footer ends the message. */
const SIGNATURE = /^--\s*$/;
const DEVICE_FOOTER = /^(Sent from my |Get Outlook for |Dikirim dari |Wysłane z )/i;

/**
 * The new text of an email reply: the quoted history (lines starting with ">", an "On … wrote:" /
 * "Pada … menulis:" / "W dniu … pisze:" / "… napisał(a):" attribution and all below it, Outlook's
 * "-----Original Message-----" or "From:/Sent:/To:" header block and all below it) and the signature after
 * "-- " are cut off. An attribution wrapped over two lines (Gmail wraps long ones) is recognised too.
 * When nothing would remain (a bare forward), the whole text is returned: a message is never emptied.
 */
export function stripQuoted(text: string): string {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const line = (lines[i] ?? "").trim();
    const next = (lines[i + 1] ?? "").trim();
    if (isAttribution(line) || (next !== "" && isAttribution(`${line} ${next}`) && !isAttribution(next)))
      break;
    if (SEPARATOR.some((re) => re.test(line))) break;
    if (HEADER_FROM.test(line) && lines.slice(i + 1, i + 4).some((l) => HEADER_NEXT.test(l.trim()))) break;
    if (SIGNATURE.test(lines[i] ?? "")) break;
    if (DEVICE_FOOTER.test(line) && lines.slice(i + 1).every((l) => l.trim() === "")) break;
    if (line.startsWith(">")) continue;
    kept.push((lines[i] ?? "").trimEnd());
  }
  const reply = kept.join("\n").trim();
  return reply === "" ? text.trim() : reply;
}

function isAttribution(line: string): boolean {
  return line.length <= 400 && ATTRIBUTION.some((re) => re.test(line));
}
