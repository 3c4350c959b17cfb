import { assert, assertEquals } from "../../tests/support/assert.ts";
import { linkShimsCommand } from "../plan/shim_links.ts";
import { linkShimsExec } from "./shims.ts";

Deno.test("linkShimsExec runs the script as root in the named container", () => {
  const argv = linkShimsExec("devaipod-w-workspace").argv;
  const at = argv.indexOf("devaipod-w-workspace");
  assert(at > 0, argv.join(" "));
  assertEquals(argv.slice(0, 2), ["container", "exec"]);
  assertEquals(argv.slice(at - 2, at), ["--user", "0"]);
  assertEquals(argv.slice(at + 1), linkShimsCommand());
});
