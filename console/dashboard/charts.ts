/**
 * Charts as inline SVG strings, built on the server (no chart library, no script): horizontal bar charts
 * and line charts with axis labels, a `<title>` and `<desc>` the SVG is labelled by, and a `<title>` tooltip
 * on every bar and point. Colours come from classes styled in console.css (the CSP forbids `style=""`).
 * Every text is escaped here; the page shows the same numbers in a table under each chart.
 */

/** One bar: its label, its value, and the value as the page shows it ("Rp 150.000", "1,234"). */
export interface Bar {
  label: string;
  value: number;
  valueText: string;
  /** Colour of the bar (series-N): by default each bar takes the next one. */
  series?: number;
}

/** What every chart has. */
interface ChartText {
  /** Unique on the page: the SVG's `<title>` and `<desc>` ids derive from it. */
  id: string;
  title: string;
  /** What the chart shows, in a sentence, for screen readers. */
  description: string;
  /** Formats an axis tick in the page's locale. */
  format: (value: number) => string;
  /**
   * Width of the drawing in SVG units. Defaults to 640. Below 480 the chart is drawn for a phone: narrower
   * label and value columns, fewer day labels, shorter names. See {@link responsiveChart}.
   */
  width?: number;
}

/** A horizontal bar chart. */
export interface BarChart extends ChartText {
  bars: Bar[];
  /** Under the value axis: what the bars measure ("Messages", "Minutes"). */
  axisLabel: string;
}

/** A line chart over categories (days). */
export interface LineChart extends ChartText {
  xLabels: string[];
  series: Array<{ name: string; values: number[] }>;
  /** Beside the value axis. */
  axisLabel: string;
}

const WIDTH = 640;
const SERIES = 6;
const NARROW = 480;

/**
 * The widths {@link responsiveChart} draws a chart at, and the smallest figure (in CSS px) each is shown in:
 * the page shows the drawing that fits its figure (container queries in console.css), scaled to the figure's
 * full width, so the chart fills its card and its 13-unit text shows at 12–18 px from a 360 px phone to a wide
 * screen. The `main` one keeps the chart's own ids (the others add `-w<width>`).
 */
export const CHART_WIDTHS = [
  { width: 300, from: 0 },
  { width: 450, from: 414 },
  { width: 675, from: 621, main: true },
  { width: 1010, from: 931 },
] as const;

/**
 * The same chart drawn at each of {@link CHART_WIDTHS}, each SVG marked `chart-w-<width>` for console.css to
 * show the one that fits. `draw` gets the width and an id suffix that keeps the SVGs' title ids unique.
 */
export function responsiveChart(draw: (width: number, idSuffix: string) => string): string {
  return CHART_WIDTHS.map((size) =>
    draw(size.width, "main" in size ? "" : `-w${size.width}`).replace(
      '<svg class="chart ',
      `<svg class="chart chart-w-${size.width} `,
    ),
  ).join("");
}

/** Text escaped for SVG/HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A round number at or above `max` (1, 2, 2.5 or 5 × a power of ten), so axis ticks read well. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * power >= max)!;
  return step * power;
}

const round = (n: number) => Math.round(n * 10) / 10;

function shorten(label: string, max = 24): string {
  const chars = [...label];
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : label;
}

function open(chart: ChartText, height: number, kind: string): string {
  const id = escapeXml(chart.id);
  const narrow = (chart.width ?? WIDTH) < NARROW ? " chart-narrow" : "";
  return (
    `<svg class="chart chart-${kind}${narrow}" viewBox="0 0 ${chart.width ?? WIDTH} ${height}" role="img" focusable="false" ` +
    `aria-labelledby="${id}-title ${id}-desc">` +
    `<title id="${id}-title">${escapeXml(chart.title)}</title>` +
    `<desc id="${id}-desc">${escapeXml(chart.description)}</desc>`
  );
}

/** A horizontal bar chart: labels on the left, one bar per value, ticks at 0, half and the top. */
export function barChart(chart: BarChart): string {
  const width = chart.width ?? WIDTH;
  const narrow = width < NARROW;
  const labelWidth = narrow ? 112 : 180;
  const valueWidth = narrow ? 72 : 110;
  const rowHeight = 30;
  const top = 8;
  const plot = width - labelWidth - valueWidth;
  const axisY = top + chart.bars.length * rowHeight + 4;
  const height = axisY + 44;
  const max = niceMax(Math.max(0, ...chart.bars.map((b) => b.value)));
  const x = (value: number) => round(labelWidth + (Math.max(0, value) / max) * plot);
  const ticks = [0, max / 2, max]
    .map(
      (tick) =>
        `<line class="chart-grid" x1="${x(tick)}" y1="${top}" x2="${x(tick)}" y2="${axisY}"/>` +
        `<text class="chart-tick" x="${x(tick)}" y="${axisY + 16}" text-anchor="middle">${escapeXml(chart.format(tick))}</text>`,
    )
    .join("");
  const bars = chart.bars
    .map((bar, i) => {
      const y = top + i * rowHeight;
      const width = round(x(bar.value) - labelWidth);
      return (
        `<g class="chart-row"><title>${escapeXml(`${bar.label}: ${bar.valueText}`)}</title>` +
        `<text class="chart-label" x="${labelWidth - 8}" y="${y + 19}" text-anchor="end">${escapeXml(shorten(bar.label, narrow ? 12 : 24))}</text>` +
        `<rect class="chart-bar series-${(bar.series ?? i) % SERIES}" x="${labelWidth}" y="${y + 5}" width="${width}" height="${rowHeight - 10}" rx="2"/>` +
        `<text class="chart-value" x="${round(labelWidth + width + 6)}" y="${y + 19}">${escapeXml(bar.valueText)}</text></g>`
      );
    })
    .join("");
  const axis =
    `<line class="chart-axis" x1="${labelWidth}" y1="${axisY}" x2="${labelWidth + plot}" y2="${axisY}"/>` +
    `<text class="chart-axis-label" x="${labelWidth + plot / 2}" y="${axisY + 36}" text-anchor="middle">${escapeXml(chart.axisLabel)}</text>`;
  return `${open(chart, height, "bars")}${ticks}${bars}${axis}</svg>`;
}

/** A line chart: one line per series over the x labels, ticks at 0, half and the top, a legend below. */
export function lineChart(chart: LineChart): string {
  const width = chart.width ?? WIDTH;
  const narrow = width < NARROW;
  const left = narrow ? 48 : 64;
  const right = narrow ? 8 : 16;
  const top = 12;
  const plotHeight = 180;
  const bottom = top + plotHeight;
  const height = bottom + 76;
  const count = chart.xLabels.length;
  const plot = width - left - right;
  const max = niceMax(Math.max(0, ...chart.series.flatMap((s) => s.values)));
  const x = (i: number) => round(left + (count > 1 ? (i / (count - 1)) * plot : plot / 2));
  const y = (value: number) => round(bottom - (Math.max(0, value) / max) * plotHeight);
  const ticks = [0, max / 2, max]
    .map(
      (tick) =>
        `<line class="chart-grid" x1="${left}" y1="${y(tick)}" x2="${left + plot}" y2="${y(tick)}"/>` +
        `<text class="chart-tick" x="${left - 6}" y="${y(tick) + 4}" text-anchor="end">${escapeXml(chart.format(tick))}</text>`,
    )
    .join("");
  // a day label per ~100 units of width: 3 on a phone, 10 on a wide screen
  const every = Math.max(1, Math.ceil(count / Math.max(3, Math.floor(width / 100))));
  const xTicks = chart.xLabels
    .map((label, i) =>
      // the last label always, ending at the plot's edge; a regular one too close before it is left out
      (i % every === 0 && count - 1 - i >= every) || i === count - 1
        ? `<text class="chart-tick" x="${x(i)}" y="${bottom + 16}" text-anchor="${i === count - 1 && count > 1 ? "end" : "middle"}">${escapeXml(label)}</text>`
        : "",
    )
    .join("");
  const lines = chart.series
    .map((series, s) => {
      const points = series.values.map((v, i) => `${x(i)},${y(v)}`).join(" ");
      const dots = series.values
        .map(
          (v, i) =>
            `<circle class="chart-dot series-${s % SERIES}" cx="${x(i)}" cy="${y(v)}" r="3">` +
            `<title>${escapeXml(`${chart.xLabels[i] ?? ""} · ${series.name}: ${chart.format(v)}`)}</title></circle>`,
        )
        .join("");
      return `<g class="chart-series"><polyline class="chart-line series-${s % SERIES}" points="${points}"/>${dots}</g>`;
    })
    .join("");
  const legend = chart.series
    .map((series, s) => {
      const lx = (narrow ? 8 : left) + s * (narrow ? 140 : 160);
      return (
        `<line class="chart-line series-${s % SERIES}" x1="${lx}" y1="${bottom + 52}" x2="${lx + 24}" y2="${bottom + 52}"/>` +
        `<text class="chart-legend" x="${lx + 30}" y="${bottom + 56}">${escapeXml(series.name)}</text>`
      );
    })
    .join("");
  const axis =
    `<line class="chart-axis" x1="${left}" y1="${bottom}" x2="${left + plot}" y2="${bottom}"/>` +
    `<line class="chart-axis" x1="${left}" y1="${top}" x2="${left}" y2="${bottom}"/>` +
    `<text class="chart-axis-label" x="${narrow ? 10 : 14}" y="${top + plotHeight / 2}" text-anchor="middle" ` +
    `transform="rotate(-90 ${narrow ? 10 : 14} ${top + plotHeight / 2})">${escapeXml(chart.axisLabel)}</text>`;
  return `${open(chart, height, "lines")}${ticks}${xTicks}${axis}${lines}${legend}</svg>`;
}

/** {@link barChart} at every width of {@link CHART_WIDTHS}: see {@link responsiveChart}. */
export function responsiveBarChart(chart: BarChart): string {
  return responsiveChart((width, suffix) => barChart({ ...chart, id: `${chart.id}${suffix}`, width }));
}

/** {@link lineChart} at every width of {@link CHART_WIDTHS}: see {@link responsiveChart}. */
export function responsiveLineChart(chart: LineChart): string {
  return responsiveChart((width, suffix) => lineChart({ ...chart, id: `${chart.id}${suffix}`, width }));
}
