interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly CronField[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
  },
  // 7 is Sunday too, as in Vixie cron.
  { name: "day-of-week", min: 0, max: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

const EXAMPLE = `e.g. "0 9 * * 1" is 09:00 every Monday`;

function fieldValue(text: string, field: CronField): number | undefined {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + (field.name === "month" ? 1 : 0);
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

function itemProblem(item: string, field: CronField): string | undefined {
  const [range = "", step, extra] = item.split("/");
  if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) {
    return `cron ${field.name} "${item}" has a bad step: expected */n or a-b/n with n ≥ 1`;
  }
  if (range === "*") return undefined;
  const bounds = range.split("-");
  if (bounds.length > 2) return `cron ${field.name} "${item}" is not a number, a range a-b or */n`;
  const values = bounds.map((b) => fieldValue(b, field));
  if (values.some((v) => v === undefined)) {
    return `cron ${field.name} "${item}" is not a number, a range a-b or */n`;
  }
  const numbers = values as number[];
  if (numbers.some((v) => v < field.min || v > field.max)) {
    return `cron ${field.name} "${item}" is out of range ${field.min}-${field.max}`;
  }
  if (numbers.length === 2 && numbers[0]! > numbers[1]!) {
    return `cron ${field.name} range "${item}" runs backwards`;
  }
  return undefined;
}

/** What is wrong with a 5-field cron expression (minute hour day-of-month month day-of-week), or undefined when it is valid. */
export function cronProblem(expression: string): string | undefined {
  const parts = expression.trim().split(/\s+/).filter(Boolean);
  if (parts.length !== FIELDS.length) {
    return `expected 5 cron fields (minute hour day-of-month month day-of-week), got ${parts.length}; ${EXAMPLE}`;
  }
  for (const [i, part] of parts.entries()) {
    for (const item of part.split(",")) {
      const problem = itemProblem(item, FIELDS[i]!);
      if (problem) return `${problem}; ${EXAMPLE}`;
    }
  }
  return undefined;
}
