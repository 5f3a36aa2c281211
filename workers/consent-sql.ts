import { type ConsentPolicy, DEFAULT_CONSENT_POLICY, OPT_IN_ONLY } from "../campaigns/consent-policy.ts";
import { Prisma } from "../lib/db/index.ts";

/**
 * `consentMode` in SQL: 'opt-in' or 'opt-out' for the channel name and country expressions given, the
 * country's rule for the channel first, then the country's default, the channel's rule, the default; a channel
 * of `OPT_IN_ONLY` (WhatsApp) is always 'opt-in'.
 */
export function consentModeSql(
  policy: ConsentPolicy | undefined,
  channel: Prisma.Sql,
  country: Prisma.Sql,
): Prisma.Sql {
  const p = policy ?? DEFAULT_CONSENT_POLICY;
  const cases: Prisma.Sql[] = OPT_IN_ONLY.map((name) => Prisma.sql`WHEN ${channel} = ${name} THEN 'opt-in'`);
  for (const [code, rules] of Object.entries(p.countries)) {
    for (const [name, mode] of Object.entries(rules.channels ?? {}))
      cases.push(Prisma.sql`WHEN upper(${country}) = ${code} AND ${channel} = ${name} THEN ${mode}`);
    if (rules.default) cases.push(Prisma.sql`WHEN upper(${country}) = ${code} THEN ${rules.default}`);
  }
  for (const [name, mode] of Object.entries(p.channels))
    cases.push(Prisma.sql`WHEN ${channel} = ${name} THEN ${mode}`);
  return cases.length
    ? Prisma.sql`(CASE ${Prisma.join(cases, " ")} ELSE ${p.default}::text END)`
    : Prisma.sql`${p.default}::text`;
}
