/**
 * A test CA made with openssl, and a server certificate it signs for some names: `ca.pem`,
 * `ca.key`, `server.pem` and `server.key` (readable by all) in a folder.
 */
import { join } from "node:path";

/** Makes the CA and a certificate for `names` (the first is its common name) in `dir`. */
export async function certificates(dir: string, names: readonly string[]): Promise<void> {
  const openssl = async (...args: string[]) => {
    const out = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (out.code !== 0) {
      throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
    }
  };
  await openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=devaipod test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
  );
  await openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    `/CN=${names[0]}`,
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
  );
  await Deno.writeTextFile(
    join(dir, "san.ext"),
    `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}\n`,
  );
  await openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    "san.ext",
    "-out",
    "server.pem",
  );
  await Deno.chmod(join(dir, "server.key"), 0o644);
}
