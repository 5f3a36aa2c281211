import { describe, expect, it } from "vitest";
import { barChart, escapeXml, lineChart, niceMax } from "../../console/dashboard/charts.ts";
import { messagesPerDay } from "../../console/dashboard/messages.ts";
import {
  dashboardWindow,
  localDate,
  offsetsBetween,
  startOfLocalDay,
} from "../../console/dashboard/window.ts";
import { useTestDatabase } from "../support/db.ts";

const database = useTestDatabase();

describe("the dashboard's window", () => {
  it("is the last 30 local days, today included, from local midnight", () => {
    const window = dashboardWindow(Date.parse("2026-11-23T20:00:00Z"), "Asia/Jakarta");
    expect(window.days).toHaveLength(30);
    // 03:00 on the 24th in Jakarta
    expect(window.days[29]).toBe("2026-11-24");
    expect(window.days[0]).toBe("2026-10-26");
    expect(window.from.toISOString()).toBe("2026-10-25T17:00:00.000Z");
    expect(window.offsets).toEqual([{ from: window.from, offsetMinutes: 420 }]);
  });

  it("finds the minute a DST change happens inside it", () => {
    const from = startOfLocalDay("2026-10-12", "Europe/Warsaw");
    expect(from.toISOString()).toBe("2026-10-11T22:00:00.000Z");
    expect(offsetsBetween(from.getTime(), Date.parse("2026-11-10T12:00:00Z"), "Europe/Warsaw")).toEqual([
      { from, offsetMinutes: 120 },
      { from: new Date("2026-10-25T01:00:00Z"), offsetMinutes: 60 },
    ]);
    expect(startOfLocalDay("2026-03-29", "Europe/Warsaw").toISOString()).toBe("2026-03-28T23:00:00.000Z");
    expect(localDate(Date.parse("2026-10-24T22:30:00Z"), "Europe/Warsaw")).toBe("2026-10-25");
    expect(
      offsetsBetween(
        Date.parse("2026-11-01T00:00:00Z"),
        Date.parse("2026-11-02T00:00:00Z"),
        "Asia/Kathmandu",
      ),
    ).toEqual([{ from: new Date("2026-11-01T00:00:00Z"), offsetMinutes: 345 }]);
  });

  it("counts each message on its local day across a DST change", async () => {
    const customer = await database.db.customer.create({ data: {} });
    const at = [
      "2026-10-24T21:30:00Z",
      "2026-10-24T22:30:00Z",
      "2026-10-25T22:30:00Z",
      "2026-10-25T23:30:00Z",
    ];
    await database.db.interaction.createMany({
      data: at.map((sentAt, i) => ({
        customerId: customer.id,
        channel: "telegram" as const,
        direction: "inbound" as const,
        author: "customer" as const,
        externalId: `dst-${i}`,
        text: "…",
        sentAt: new Date(sentAt),
      })),
    });
    const now = Date.parse("2026-11-23T12:00:00Z");
    const warsaw = await messagesPerDay(database.db, dashboardWindow(now, "Europe/Warsaw"));
    const inbound = (days: typeof warsaw, day: string) => days.find((d) => d.day === day)?.inbound;
    expect(inbound(warsaw, "2026-10-25")).toBe(2);
    expect(inbound(warsaw, "2026-10-26")).toBe(1);
    expect(warsaw.reduce((sum, d) => sum + d.inbound, 0)).toBe(3);
    const utc = await messagesPerDay(database.db, dashboardWindow(now, "UTC"));
    expect(inbound(utc, "2026-10-25")).toBe(2);
    expect(utc.reduce((sum, d) => sum + d.inbound, 0)).toBe(2);
  });
});

describe("the dashboard's charts", () => {
  it("round the axis up and escape every text", () => {
    expect([0, 0.3, 7, 12, 99, 101, 2400].map(niceMax)).toEqual([1, 0.5, 10, 20, 100, 200, 2500]);
    expect(escapeXml(`<b a="1">&'`)).toBe("&#60;b a=&#34;1&#34;&#62;&#38;&#39;");
    const svg = barChart({
      id: "c",
      title: "T <x>",
      description: "D & more",
      axisLabel: "Things",
      format: String,
      bars: [{ label: "<script>alert(1)</script>", value: 3, valueText: "3" }],
    });
    expect(svg).toMatch(/^<svg class="chart chart-bars" viewBox="0 0 640 \d+" role="img"/);
    expect(svg).toContain('aria-labelledby="c-title c-desc"');
    expect(svg).toContain('<title id="c-title">T &#60;x&#62;</title><desc id="c-desc">D &#38; more</desc>');
    expect(svg).not.toContain("<script>");
    expect(svg).not.toContain("style=");
  });

  it("draw one line per series with a point (and tooltip) per value", () => {
    const svg = lineChart({
      id: "l",
      title: "Messages",
      description: "d",
      axisLabel: "Messages",
      format: String,
      xLabels: ["a", "b", "c"],
      series: [
        { name: "In", values: [1, 2, 3] },
        { name: "Out", values: [0, 0, 4] },
      ],
    });
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(6);
    expect(svg).toContain("<title>c · Out: 4</title>");
    expect(svg).toContain('<text class="chart-legend"');
  });
});
