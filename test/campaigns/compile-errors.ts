import { compileCampaign } from "../../campaigns/index.ts";
import { type CampaignIssue, CampaignSyntaxError } from "../../lib/errors.ts";

/** The issues compiling `source` reports, as `line:col message` strings; fails the test if it compiles. */
export function issuesOf(source: string, file = "campaigns/test.yaml"): string[] {
  try {
    compileCampaign(source, file);
  } catch (error) {
    if (!(error instanceof CampaignSyntaxError)) throw error;
    return error.issues.map((i: CampaignIssue) => `${i.line}:${i.col} ${i.message}`);
  }
  throw new Error("expected the campaign not to compile");
}

/** A valid campaign with the given trigger (flow or block YAML, indented by two). */
export function withTrigger(trigger: string): string {
  return `id: t\nname: T\ntrigger:\n${trigger}\nchannels: [email]\nmessage: { template: t }\n`;
}
