/**
 * The project into a kube workspace's claims, once its Pods run: the same copy as the podman
 * backend's (a clone of HEAD, origin without credentials; a folder without git as it is), the
 * human's tree into the workspace Pod and the agent's branch `devaipod/NAME` into the agent Pod,
 * each an archive sent on the exec stream's stdin and unpacked there by `tar`. The command reads
 * exactly the archive's length, so the end of stdin need not reach it (the v4 protocol cannot say
 * it; some kubelets do not pass it on). A claim that already held its tree (a workspace deleted
 * without `--volumes`, made again) is left as it is: it holds the user's work.
 */
import { archiveCopy, branchCopy, cloneProject, disposeCopy } from "../pods/source.ts";
import type { ProjectCopy } from "../pods/source.ts";
import { FailedError } from "../errors.ts";
import type { KubeClient } from "./client.ts";
import { kubeExec } from "./exec.ts";

/** The shell line that unpacks `$2` bytes of tar from stdin into the folder `$1`. */
export const UNPACK = 'mkdir -p "$1" && head -c "$2" | tar -xf - -C "$1"';

/** Where the project goes. */
export interface FillTarget {
  projectRoot: string;
  git: boolean;
  /** The agent's branch (`devaipod/NAME`). */
  branch: string;
  /** The folder both Pods mount their claim at. */
  target: string;
  /** Absent: the human's tree is not copied (its claim holds it already). */
  workspacePod?: { pod: string; container: string; claim: string };
  /** Absent: the agent gets no clone (its claim holds one already, or it has none). */
  agentPod?: { pod: string; container: string; claim: string };
}

/** Sends the archive `file` into `where`'s container and unpacks it at `target`. */
async function unpack(
  client: KubeClient,
  where: { pod: string; container: string },
  file: string,
  target: string,
): Promise<void> {
  const size = (await Deno.stat(file)).size;
  const proc = await kubeExec(client, {
    pod: where.pod,
    container: where.container,
    command: ["/bin/sh", "-c", UNPACK, "devaipod-unpack", target, String(size)],
    stdin: true,
  });
  const errText = new Response(proc.stderr).text();
  const drained = proc.stdout.pipeTo(new WritableStream());
  const archive = await Deno.open(file);
  await archive.readable.pipeTo(proc.stdin);
  const code = await proc.status;
  await drained;
  proc.close();
  if (code !== 0) {
    throw new FailedError(
      `unpacking the project in ${where.pod} exited ${code}: ${(await errText).trim().slice(-500)}`,
      { hint: "the image needs sh, head and tar" },
    );
  }
}

/** Copies the project into the Pods (see the module's doc); returns the commit, if any. */
export async function fillWorkspace(
  client: KubeClient,
  to: FillTarget,
): Promise<{ commit?: string }> {
  if (!to.workspacePod && !to.agentPod) return {};
  const copy: ProjectCopy = await cloneProject(to.projectRoot, to.git);
  try {
    if (to.workspacePod) {
      await unpack(client, to.workspacePod, await archiveCopy(copy), to.target);
    }
    if (to.agentPod) {
      if (copy.commit) await branchCopy(copy, to.branch);
      await unpack(client, to.agentPod, await archiveCopy(copy), to.target);
    }
    return copy.commit ? { commit: copy.commit } : {};
  } finally {
    await disposeCopy(copy);
  }
}
