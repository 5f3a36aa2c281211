import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { describeHours } from "../../bots/hours.ts";
import { compileReplies, loadReplies } from "../../bots/replies.ts";

const shipped = loadReplies(fileURLToPath(new URL("../../bots/replies.yaml", import.meta.url)));
// Monday 23 November 2026: Warsaw on winter time (UTC+1), New York on EST (UTC−5), Jakarta UTC+7
const WINTER = new Date("2026-11-23T03:00:00Z");
const SUMMER = new Date("2026-07-06T03:00:00Z");

function schedule(timezone: string, hours: Record<string, string>) {
  const lines = Object.entries(hours).map(([day, range]) => `  ${day}: "${range}"`);
  return compileReplies([`timezone: ${timezone}`, "business_hours:", ...lines].join("\n"), "replies.yaml");
}

describe("business hours as the customer reads them", () => {
  it("joins the weekdays with the same hours and names the zone, in English, Indonesian and Polish", () => {
    expect(describeHours(shipped, { locale: "en" }, WINTER)).toBe(
      "Mon–Fri 9:00 AM–6:00 PM, Sat 10:00 AM–2:00 PM (Western Indonesia Time)",
    );
    expect(describeHours(shipped, { locale: "id" }, WINTER)).toBe(
      "Sen–Jum 9.00–18.00, Sab 10.00–14.00 (Waktu Indonesia Barat)",
    );
    expect(describeHours(shipped, { locale: "pl" }, WINTER)).toBe(
      "pon.–pt. 9:00–18:00, sob. 10:00–14:00 (czas Indonezja Zachodnia)",
    );
  });

  it("tells a Polish shop's hours to a Polish customer the Polish way", () => {
    const warsaw = schedule("Europe/Warsaw", {
      mon: "09:00-18:00",
      tue: "09:00-18:00",
      wed: "09:00-18:00",
      thu: "09:00-18:00",
      fri: "09:00-18:00",
      sat: "10:00-14:00",
    });
    expect(describeHours(warsaw, { locale: "pl-PL", timezone: "Europe/Warsaw" }, WINTER)).toBe(
      "pon.–pt. 9:00–18:00, sob. 10:00–14:00 (czas środkowoeuropejski)",
    );
  });

  it("moves the hours into the customer's own zone, with daylight saving time", () => {
    expect(describeHours(shipped, { locale: "pl", timezone: "Europe/Warsaw" }, WINTER)).toBe(
      "pon.–pt. 3:00–12:00, sob. 4:00–8:00 (czas środkowoeuropejski)",
    );
    expect(describeHours(shipped, { locale: "pl", timezone: "Europe/Warsaw" }, SUMMER)).toBe(
      "pon.–pt. 4:00–13:00, sob. 5:00–9:00 (czas środkowoeuropejski)",
    );
  });

  it("moves a day's hours onto the day before when the customer's clock is behind, past midnight", () => {
    expect(describeHours(shipped, { locale: "en", timezone: "America/New_York" }, WINTER)).toBe(
      "Sun–Thu 9:00 PM–6:00 AM, Fri 10:00 PM–2:00 AM (Eastern Time)",
    );
  });

  it("leaves closed days out and joins only days that follow each other", () => {
    const gaps = schedule("Asia/Jakarta", {
      mon: "08:00-16:00",
      wed: "08:00-16:00",
      thu: "08:00-16:00",
      fri: "08:00-12:00",
      sat: "09:00-13:00",
      sun: "09:00-13:00",
    });
    expect(describeHours(gaps, { locale: "id" }, WINTER)).toBe(
      "Sen 8.00–16.00, Rab–Kam 8.00–16.00, Jum 8.00–12.00, Sab–Min 9.00–13.00 (Waktu Indonesia Barat)",
    );
    expect(describeHours(gaps, { locale: "en" }, WINTER)).toBe(
      "Mon 8:00 AM–4:00 PM, Wed–Thu 8:00 AM–4:00 PM, Fri 8:00 AM–12:00 PM, Sat–Sun 9:00 AM–1:00 PM (Western Indonesia Time)",
    );
  });

  it("says one range for a week open every day", () => {
    const daily = schedule(
      "Europe/Warsaw",
      Object.fromEntries(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => [d, "10:00-20:00"])),
    );
    expect(describeHours(daily, { locale: "pl" }, SUMMER)).toBe(
      "pon.–niedz. 10:00–20:00 (czas środkowoeuropejski)",
    );
  });

  it("tells a language Rapport does not speak in English, as the message around it, and ignores a bad zone", () => {
    expect(describeHours(shipped, { locale: "fr", timezone: "Mars/Olympus" }, WINTER)).toBe(
      describeHours(shipped, { locale: "en" }, WINTER),
    );
  });
});
