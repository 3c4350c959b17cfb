/**
 * Builders of the local images that tests and the demo use (no registry is reachable):
 * `base` (debootstrap bookworm minbase, imported with `ENV PATH`), `dev` (tools and a
 * non-root user `dev`, uid 1000) and, for the tests only, `nested` (`dev` with podman inside) and
 * `systemd` (trixie with systemd as PID 1 and podman 5, for the Quadlet backend).
 * Each image carries a label with the hash of its recipe, and a build is skipped when an image
 * with the same hash exists.
 */
import { FailedError } from "../../lib/errors.ts";
import {
  imageBuild,
  imageExists,
  imageImport,
  imageInspect,
  imageRm,
} from "../../lib/podman/mod.ts";
import type { Podman } from "../../lib/podman/mod.ts";
import { sha256Hex } from "../../lib/util/hash.ts";

/** The label that holds an image's recipe hash. */
export const CONTENT_LABEL = "io.devaipod.test-image.content";

/** Bump to force a rebuild when something outside the recipe text changes. */
const RECIPE_VERSION = 1;

/** The minimal Debian image. */
export const BASE_IMAGE = "localhost/devaipod-test/base:latest";
/** The developer image: tools, sudo and the user `dev` (uid 1000). */
export const DEV_IMAGE = "localhost/devaipod-test/dev:latest";

const SUITE = "bookworm";
const PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const BASE_CHANGES = [`ENV ${PATH_ENV}`, 'CMD ["/bin/bash"]'];

const DEV_PACKAGES = [
  "bash",
  "ca-certificates",
  "curl",
  "git",
  "iproute2",
  // scp and rsync for the SSH bridge's tests; deliberately no sftp-server (devaipod brings its own).
  "openssh-client",
  "procps",
  "rsync",
  "sudo",
];

const DEV_CONTAINERFILE = `FROM ${BASE_IMAGE}
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${
  DEV_PACKAGES.join(" ")
} \\
 && rm -rf /var/lib/apt/lists/* \\
 && useradd --create-home --uid 1000 --user-group --shell /bin/bash dev \\
 && echo 'dev ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/dev \\
 && chmod 0440 /etc/sudoers.d/dev
`;

/** The developer image with podman inside, for workspaces with `nestedContainers`. */
export const NESTED_IMAGE = "localhost/devaipod-test/nested:latest";
/** A tiny root filesystem (dash and its libraries) in the nested image, for `podman import`. */
export const NESTED_ROOTFS_TAR = "/opt/devaipod-test/inner-rootfs.tar";

// Podman inside a workspace, configured for what that workspace allows; devaipod sets none of
// this. vfs: overlay cannot stack on the container's own overlay without fuse-overlayfs and
// /dev/fuse. crun with cgroups disabled: on a cgroups v1 host the workspace's cgroup controllers
// stay read-only, and runc cannot run without cgroups. CNI (the only backend installed) on a
// subnet of its own: the package's default network (87-podman-bridge.conflist) is podman's
// 10.88.0.0/16, which the pod itself may be on, and a second bridge with that subnet in the
// pod's network namespace breaks the pod's own routes.
const NESTED_STORAGE_CONF = [
  "[storage]",
  'driver = "vfs"',
  'runroot = "/run/containers/storage"',
  'graphroot = "/var/lib/containers/storage"',
];
const NESTED_CONTAINERS_CONF = [
  "[containers]",
  'cgroups = "disabled"',
  "[engine]",
  'runtime = "crun"',
  "[network]",
  'network_backend = "cni"',
  'default_subnet = "10.254.213.0/24"',
];
const printfLines = (lines: readonly string[]) =>
  `printf '%s\\n' ${lines.map((l) => `'${l}'`).join(" ")}`;

const NESTED_CONTAINERFILE = `FROM ${DEV_IMAGE}
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends podman crun \\
 && rm -rf /var/lib/apt/lists/* \\
 && ${printfLines(NESTED_STORAGE_CONF)} > /etc/containers/storage.conf \\
 && ${printfLines(NESTED_CONTAINERS_CONF)} > /etc/containers/containers.conf \\
 && rm -f /etc/cni/net.d/87-podman-bridge.conflist \\
 && mkdir -p /tmp/inner \\
 && cp --parents /usr/bin/dash $(ldd /usr/bin/dash | grep -o '/[^ ]*') /tmp/inner/ \\
 && mkdir -p ${NESTED_ROOTFS_TAR.slice(0, NESTED_ROOTFS_TAR.lastIndexOf("/"))} \\
 && tar -C /tmp/inner -cf ${NESTED_ROOTFS_TAR} . \\
 && rm -rf /tmp/inner
`;

/**
 * systemd as PID 1 with Debian trixie's podman 5 (Quadlet) inside, for `up --backend quadlet`:
 * debootstrap trixie, imported like the base. Run it with `--privileged --cgroupns=private
 * --systemd=false` (podman's own systemd mode breaks inner pods on a cgroups v1 host), tmpfs on
 * /run and /tmp, a volume at /var/lib/containers, and the host's image store read-only at
 * {@link SYSTEMD_HOST_STORE} (an additional image store: the test images without a copy).
 */
export const SYSTEMD_IMAGE = "localhost/devaipod-test/systemd:latest";
/** Where the systemd image expects the host's image store. */
export const SYSTEMD_HOST_STORE = "/host-storage";

const SYSTEMD_SUITE = "trixie";
const SYSTEMD_PACKAGES = [
  "systemd",
  "systemd-sysv",
  "dbus",
  "podman",
  "netavark",
  "aardvark-dns",
  "nftables",
  "iptables",
  "catatonit",
  "crun",
  "uidmap",
  "ca-certificates",
  "git",
];
/** Files written into the systemd image's root filesystem: path → content. */
const SYSTEMD_FILES: Record<string, string> = {
  "etc/containers/storage.conf": [
    "[storage]",
    'driver = "overlay"',
    'runroot = "/run/containers/storage"',
    'graphroot = "/var/lib/containers/storage"',
    "[storage.options]",
    `additionalimagestores = ["${SYSTEMD_HOST_STORE}"]`,
    "",
  ].join("\n"),
  // The host's kernel messages are not this machine's.
  "etc/systemd/journald.conf.d/container.conf": "[Journal]\nReadKMsg=no\n",
  // podman 5 warns about cgroups v1 on every call; the host is what it is.
  "etc/systemd/system.conf.d/container.conf":
    "[Manager]\nDefaultEnvironment=PODMAN_IGNORE_CGROUPSV1_WARNING=1\n",
};
/**
 * Units masked: no kernel modules to load in a container (the unit would only fail), and no tmpfs
 * on /tmp (it would hide what a test mounts there).
 */
const SYSTEMD_MASKED = ["systemd-modules-load.service", "tmp.mount"];
const SYSTEMD_CHANGES = [
  `ENV ${PATH_ENV}`,
  "ENV PODMAN_IGNORE_CGROUPSV1_WARNING=1",
  "ENV container=podman",
  "STOPSIGNAL SIGRTMIN+3",
  'CMD ["/sbin/init"]',
];

/** The recipe hash of the systemd image. */
export function systemdContentHash(): Promise<string> {
  return sha256Hex(
    JSON.stringify({
      RECIPE_VERSION,
      SYSTEMD_SUITE,
      SYSTEMD_PACKAGES,
      SYSTEMD_FILES,
      SYSTEMD_MASKED,
      SYSTEMD_CHANGES,
    }),
  );
}

const buildSystemd: Builder = async (options, hash) => {
  const mirror = options.mirror ?? "http://deb.debian.org/debian";
  const work = await Deno.makeTempDir({
    dir: options.tmpDir ?? "/var/tmp",
    prefix: "devaipod-systemd-",
  });
  try {
    const rootfs = `${work}/rootfs`;
    const tarball = `${work}/rootfs.tar`;
    await runTool(
      "debootstrap",
      [
        "--variant=minbase",
        `--include=${SYSTEMD_PACKAGES.join(",")}`,
        SYSTEMD_SUITE,
        rootfs,
        mirror,
      ],
      { hint: "install debootstrap (apt-get install debootstrap) and run as root" },
    );
    for (const [path, text] of Object.entries(SYSTEMD_FILES)) {
      const file = `${rootfs}/${path}`;
      await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(file, text);
    }
    await Deno.mkdir(`${rootfs}${SYSTEMD_HOST_STORE}`, { recursive: true });
    for (const unit of SYSTEMD_MASKED) {
      await Deno.symlink("/dev/null", `${rootfs}/etc/systemd/system/${unit}`);
    }
    for (const dir of ["var/cache/apt/archives", "var/lib/apt/lists"]) {
      for (const e of Deno.readDirSync(`${rootfs}/${dir}`)) {
        if (e.isFile) await Deno.remove(`${rootfs}/${dir}/${e.name}`);
      }
    }
    await runTool("tar", ["--numeric-owner", "-C", rootfs, "-cf", tarball, "."], {});
    await options.podman.run(
      imageImport({
        tarball,
        ref: SYSTEMD_IMAGE,
        changes: [...SYSTEMD_CHANGES, `LABEL ${CONTENT_LABEL}=${hash}`],
      }),
    );
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
};

/** What happened to one image. */
export interface ImageOutcome {
  image: string;
  action: "up-to-date" | "built";
  seconds: number;
}

/** Options of {@link ensureTestImages}. */
export interface EnsureOptions {
  podman: Podman;
  /** Progress lines (stderr in scripts). */
  log: (line: string) => void;
  /** Debian mirror for debootstrap (default http://deb.debian.org/debian). */
  mirror?: string;
  /** Where the temporary root filesystem is made (default /var/tmp). */
  tmpDir?: string;
}

/** The recipe hash of the base image. */
export function baseContentHash(): Promise<string> {
  return sha256Hex(JSON.stringify({ RECIPE_VERSION, SUITE, variant: "minbase", BASE_CHANGES }));
}

/** The recipe hash of the dev image (covers the base's hash). */
export async function devContentHash(): Promise<string> {
  return sha256Hex(
    JSON.stringify({ RECIPE_VERSION, base: await baseContentHash(), DEV_CONTAINERFILE }),
  );
}

/** The recipe hash of the nested image (covers the dev image's hash). */
export async function nestedContentHash(): Promise<string> {
  return sha256Hex(
    JSON.stringify({ RECIPE_VERSION, dev: await devContentHash(), NESTED_CONTAINERFILE }),
  );
}

/** Builds whichever test image is missing or out of date, base first. */
export async function ensureTestImages(options: EnsureOptions): Promise<ImageOutcome[]> {
  const base = await ensureImage(options, BASE_IMAGE, await baseContentHash(), buildBase);
  const dev = await ensureImage(options, DEV_IMAGE, await devContentHash(), buildDev);
  return [base, dev];
}

/** {@link ensureTestImages}, then the nested image: every image the tests use. */
export async function ensureAllTestImages(options: EnsureOptions): Promise<ImageOutcome[]> {
  const images = await ensureTestImages(options);
  const nested = await ensureImage(
    options,
    NESTED_IMAGE,
    await nestedContentHash(),
    buildFromContainerfile(NESTED_IMAGE, NESTED_CONTAINERFILE),
  );
  const systemd = await ensureImage(
    options,
    SYSTEMD_IMAGE,
    await systemdContentHash(),
    buildSystemd,
  );
  return [...images, nested, systemd];
}

type Builder = (options: EnsureOptions, hash: string) => Promise<void>;

async function ensureImage(
  options: EnsureOptions,
  image: string,
  hash: string,
  build: Builder,
): Promise<ImageOutcome> {
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 100) / 10;
  const { podman } = options;
  let previousId: string | undefined;
  if (await podman.run(imageExists(image))) {
    const [found] = await podman.run(imageInspect(image));
    if (found?.Labels[CONTENT_LABEL] === hash) {
      return { image, action: "up-to-date", seconds: seconds() };
    }
    previousId = found?.Id;
  }
  options.log(`building ${image} …`);
  await build(options, hash);
  if (previousId) {
    // The old build is now untagged; drop it unless something still uses it.
    await podman.run(imageRm([previousId])).catch(() => {});
  }
  options.log(`built ${image} in ${seconds()}s`);
  return { image, action: "built", seconds: seconds() };
}

const buildBase: Builder = async (options, hash) => {
  const mirror = options.mirror ?? "http://deb.debian.org/debian";
  const work = await Deno.makeTempDir({
    dir: options.tmpDir ?? "/var/tmp",
    prefix: "devaipod-base-",
  });
  try {
    const rootfs = `${work}/rootfs`;
    const tarball = `${work}/rootfs.tar`;
    await runTool("debootstrap", ["--variant=minbase", SUITE, rootfs, mirror], {
      hint: "install debootstrap (apt-get install debootstrap) and run as root",
    });
    await runTool("tar", ["--numeric-owner", "-C", rootfs, "-cf", tarball, "."], {});
    await options.podman.run(
      imageImport({
        tarball,
        ref: BASE_IMAGE,
        changes: [...BASE_CHANGES, `LABEL ${CONTENT_LABEL}=${hash}`],
      }),
    );
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
};

const buildFromContainerfile = (tag: string, containerfile: string): Builder =>
async (
  options,
  hash,
) => {
  const work = await Deno.makeTempDir({ prefix: "devaipod-image-" });
  try {
    const file = `${work}/Containerfile`;
    await Deno.writeTextFile(file, containerfile);
    await options.podman.run(
      imageBuild({
        tag,
        file,
        context: work,
        pull: "never",
        labels: { [CONTENT_LABEL]: hash },
      }),
    );
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
};

const buildDev = buildFromContainerfile(DEV_IMAGE, DEV_CONTAINERFILE);

async function runTool(
  program: string,
  args: string[],
  { hint }: { hint?: string },
): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new FailedError(`cannot run '${program}': not found`, {
        ...(hint ? { hint } : {}),
        cause: err,
      });
    }
    throw err;
  }
  if (out.code !== 0) {
    const tail = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-8).join("\n  ");
    throw new FailedError(`${program} failed (exit ${out.code})\n  ${tail}`, hint ? { hint } : {});
  }
}
