import { describe, expect, it } from "vitest";
import { emailIn, parseCommand } from "../../bots/commands.ts";

describe("parseCommand", () => {
  it.each([
    ["/stop", { name: "stop" }],
    ["/STOP", { name: "stop" }],
    ["/stop@RapportBot", { name: "stop" }],
    ["/start", { name: "start", payload: undefined }],
    ["/start ig-autumn-2026", { name: "start", payload: "ig-autumn-2026" }],
    ["/link", { name: "link", code: undefined }],
    ["/link k7m2qp", { name: "link", code: "K7M2QP" }],
    ["/rate 4", { name: "rate", score: 4 }],
    ["/rate 9", { name: "rate", score: undefined }],
    ["/help", { name: "help" }],
  ])("reads %s", (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  it.each(["stop", "please /stop", "/unknown", "", "//stop"])("does not take %j for a command", (text) => {
    expect(parseCommand(text)).toBeUndefined();
  });
});

describe("emailIn", () => {
  it("finds an address written in a sentence, lower-cased", () => {
    expect(emailIn("hi, my email is Jan.Kowalski@Example.com thanks")).toBe("jan.kowalski@example.com");
    expect(emailIn("no address here @ all")).toBeUndefined();
  });
});
