import { decodeHeader } from "../../bots/index.ts";

/** An outbox `.eml` file read back: To, the decoded Subject, and every body part decoded and joined. */
export function readEml(eml: string): { to: string; subject: string; body: string } {
  const [head = "", ...rest] = eml.split("\r\n\r\n");
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, "m").exec(head)?.[1] ?? "";
  const parts = [
    ...eml.matchAll(/Content-Transfer-Encoding: ([\w-]+)\r\n\r\n([\s\S]*?)(?=\r\n--rapport-|$)/g),
  ];
  const body = parts.length
    ? parts
        .map(([, encoding, text]) => (encoding === "quoted-printable" ? decodeQp(text!) : text!))
        .join("\n")
    : rest.join("\r\n\r\n");
  return { to: header("To"), subject: decodeHeader(header("Subject")), body };
}

/** Quoted-printable (RFC 2045) to text. */
export function decodeQp(text: string): string {
  const bytes: number[] = [];
  const input = Buffer.from(text.replace(/=\r\n/g, ""), "utf8");
  for (let i = 0; i < input.length; i++) {
    const hex = input.subarray(i + 1, i + 3).toString("latin1");
    if (input[i] === 0x3d && /^[0-9A-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(input[i]!);
  }
  return Buffer.from(bytes).toString("utf8");
}
