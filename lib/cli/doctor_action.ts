/**
 * What `devaipod doctor` does; loaded only when the command runs, so that `--help` and
 * `--version` stay fast (commands declare themselves in `<name>.ts`, act in `<name>_action.ts`).
 */
import { evaluate } from "../doctor/checks.ts";
import type { Check, DoctorReport } from "../doctor/checks.ts";
import { gatherFacts } from "../doctor/gather.ts";
import { DevaipodError } from "../errors.ts";
import type { CliContext } from "./context.ts";
import { renderTable } from "./table.ts";

/** The doctor found a required check failing; the report is already printed. */
export class DoctorFailedError extends DevaipodError {
  override readonly name = "DoctorFailedError";
  constructor(report: DoctorReport) {
    const failed = report.checks.filter((c) => c.status === "fail").map((c) => c.id);
    super(
      `doctor: ${failed.length} required check${failed.length === 1 ? "" : "s"} failed (${
        failed.join(", ")
      })`,
      report.exitCode,
    );
  }
}

const MARK: Record<Check["status"], string> = { ok: "ok", warn: "warn", fail: "FAIL" };

/** Human form of the report. */
export function renderReport(report: DoctorReport): string[] {
  const lines: string[] = [];
  const rendered = renderTable(report.checks.map((c) => [MARK[c.status], c.id, c.summary]));
  report.checks.forEach((c, i) => {
    lines.push(rendered[i] ?? "");
    if (c.hint && c.status !== "ok") lines.push(`      hint: ${c.hint}`);
  });
  return lines;
}

/** Options of `devaipod doctor`. */
export interface DoctorOptions {
  json?: boolean;
  run: boolean;
}

/** Gathers, judges and prints; throws {@link DoctorFailedError} when a required check fails. */
export async function doctorAction(ctx: CliContext, options: DoctorOptions): Promise<void> {
  const facts = await gatherFacts({
    podman: ctx.podman,
    env: ctx.deps.env,
    toolbox: ctx.deps.inToolbox(),
    skipSmoke: !options.run,
    ...(ctx.globals.config ? { configFlag: ctx.globals.config } : {}),
  });
  const report = evaluate(facts);
  if (options.json) {
    ctx.json({ ok: report.ok, checks: report.checks });
  } else {
    for (const line of renderReport(report)) ctx.out(line);
  }
  if (!report.ok) throw new DoctorFailedError(report);
}
