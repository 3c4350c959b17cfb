/** `devaipod doctor [--json]`: checks the host and says what to fix. */
import { Command } from "@commander-js/extra-typings";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
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
  const rows = report.checks.map((c) => [MARK[c.status], c.id, c.summary]);
  const rendered = renderTable(rows);
  report.checks.forEach((c, i) => {
    lines.push(rendered[i] ?? "");
    if (c.hint && c.status !== "ok") lines.push(`      hint: ${c.hint}`);
  });
  return lines;
}

/** Builds the `doctor` command. */
export function doctorCommand(ctx: CliContext): CommandUnknownOpts {
  return new Command("doctor")
    .description("check podman, the OCI runtime, cgroups, networking and the agent binary cache")
    .option("--json", "print the report as JSON on stdout")
    .option("--no-run", "skip the end-to-end check that starts (and removes) an empty pod")
    .action(async (options) => {
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
    });
}
