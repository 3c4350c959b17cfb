import { assertEquals, assertMatch } from "../../tests/support/assert.ts";
import type { FeatureManifest } from "./feature_json.ts";
import {
  checkOptions,
  optionsEnvFile,
  optionVariable,
  shellQuote,
  userOptionsObject,
} from "./options.ts";
import type { OptionValue, UserOptions } from "./options.ts";

const node: FeatureManifest = {
  id: "node",
  options: {
    version: { type: "string", default: "lts", proposals: ["lts", "latest", "18"] },
    nodeGypDependencies: { type: "boolean", default: true },
    installYarn: { type: "boolean", default: false },
    channel: { type: "string", enum: ["stable", "beta"], default: "stable" },
    extra: { type: "string" },
    flag: { type: "boolean" },
  },
};

// --- userOptionsObject ---------------------------------------------------------------------

const shapes: {
  name: string;
  given: UserOptions | undefined;
  object: Record<string, OptionValue>;
}[] = [
  { name: "a version string as the 'version' option", given: "18", object: { version: "18" } },
  { name: "an empty string as an empty 'version'", given: "", object: { version: "" } },
  { name: "true as no options", given: true, object: {} },
  { name: "false as no options", given: false, object: {} },
  { name: "undefined as no options", given: undefined, object: {} },
  { name: "an object as itself", given: { a: "1", b: true }, object: { a: "1", b: true } },
];

for (const { name, given, object } of shapes) {
  Deno.test(`userOptionsObject() reads ${name}`, () => {
    assertEquals(userOptionsObject(given), object);
  });
}

// --- checkOptions --------------------------------------------------------------------------

const defaults = {
  version: "lts",
  nodeGypDependencies: true,
  installYarn: false,
  channel: "stable",
};

const accepted: {
  name: string;
  given: UserOptions | undefined;
  values: Record<string, OptionValue>;
}[] = [
  { name: "fills every default when nothing is given", given: undefined, values: defaults },
  { name: "takes the defaults for true", given: true, values: defaults },
  { name: "takes the defaults for an empty object", given: {}, values: defaults },
  {
    name: "reads a version string as the 'version' option",
    given: "20",
    values: { ...defaults, version: "20" },
  },
  {
    name: "keeps a given value over the default",
    given: { installYarn: true, channel: "beta" },
    values: { ...defaults, installYarn: true, channel: "beta" },
  },
  {
    name: 'reads a boolean given as the string "true"',
    given: { installYarn: "true" },
    values: { ...defaults, installYarn: true },
  },
  {
    name: 'reads a boolean given as the string "false"',
    given: { nodeGypDependencies: "false" },
    values: { ...defaults, nodeGypDependencies: false },
  },
  {
    name: "sets a boolean without a default only when given",
    given: { flag: false },
    values: { ...defaults, flag: false },
  },
  {
    name: "sets a string without a default only when given",
    given: { extra: "x y" },
    values: { ...defaults, extra: "x y" },
  },
  {
    name: "accepts free text for an option with proposals",
    given: { version: "16.4.2-custom" },
    values: { ...defaults, version: "16.4.2-custom" },
  },
  {
    name: "turns a boolean given to a string option into text",
    given: { extra: true },
    values: { ...defaults, extra: "true" },
  },
  {
    name: "accepts an enum choice",
    given: { channel: "beta" },
    values: { ...defaults, channel: "beta" },
  },
];

for (const { name, given, values } of accepted) {
  Deno.test(`checkOptions() ${name}`, () => {
    assertEquals(checkOptions(node, given), { values, errors: [], warnings: [] });
  });
}

Deno.test("checkOptions() lists declared options in declaration order, then undeclared ones", () => {
  const { values } = checkOptions(node, { zeta: "z", extra: "e", version: "1" });
  assertEquals(Object.keys(values), [
    "version",
    "nodeGypDependencies",
    "installYarn",
    "channel",
    "extra",
    "zeta",
  ]);
});

const rejected: { name: string; given: UserOptions; errors: string[] }[] = [
  {
    name: "a boolean that is neither true nor false",
    given: { installYarn: "yes" },
    errors: [`option 'installYarn' of Feature 'node' is a boolean, not "yes"`],
  },
  {
    name: "a boolean written in capitals",
    given: { installYarn: "TRUE" },
    errors: [`option 'installYarn' of Feature 'node' is a boolean, not "TRUE"`],
  },
  {
    name: "a value outside the enum, naming the choices",
    given: { channel: "nightly" },
    errors: [
      `option 'channel' of Feature 'node' is "nightly"; it must be one of "stable", "beta"`,
    ],
  },
  {
    name: "a boolean for an enum of strings",
    given: { channel: true },
    errors: [`option 'channel' of Feature 'node' is "true"; it must be one of "stable", "beta"`],
  },
  {
    name: "every bad option at once",
    given: { flag: "1", channel: "x" },
    errors: [
      `option 'channel' of Feature 'node' is "x"; it must be one of "stable", "beta"`,
      `option 'flag' of Feature 'node' is a boolean, not "1"`,
    ],
  },
];

for (const { name, given, errors } of rejected) {
  Deno.test(`checkOptions() reports ${name} as an error`, () => {
    const result = checkOptions(node, given);
    assertEquals(result.errors, errors);
    assertEquals(result.warnings, []);
  });
}

Deno.test("checkOptions() leaves a rejected option out of the values (no default in its place)", () => {
  const { values } = checkOptions(node, { channel: "nightly", installYarn: "maybe" });
  assertEquals(values, { version: "lts", nodeGypDependencies: true });
});

Deno.test("checkOptions() passes an undeclared option on as given, with a warning naming the declared ones", () => {
  const result = checkOptions(node, { unknownOpt: "v", other: false });
  assertEquals(result.errors, []);
  assertEquals(result.values.unknownOpt, "v");
  assertEquals(result.values.other, false);
  assertEquals(result.warnings, [
    "Feature 'node' has no option 'unknownOpt' (it has version, nodeGypDependencies, installYarn, channel, extra, flag); it is passed on as given",
    "Feature 'node' has no option 'other' (it has version, nodeGypDependencies, installYarn, channel, extra, flag); it is passed on as given",
  ]);
});

Deno.test("checkOptions() warns about a version string for a Feature without options", () => {
  const bare: FeatureManifest = { id: "bare" };
  assertEquals(checkOptions(bare, "1.2"), {
    values: { version: "1.2" },
    errors: [],
    warnings: ["Feature 'bare' has no option 'version'; it is passed on as given"],
  });
  assertEquals(checkOptions(bare, true), { values: {}, errors: [], warnings: [] });
});

// --- optionVariable ------------------------------------------------------------------------

const variables: [string, string][] = [
  ["version", "VERSION"],
  ["node-version", "NODE_VERSION"],
  ["nodeGypDependencies", "NODEGYPDEPENDENCIES"],
  ["a.b.c", "A_B_C"],
  ["with space", "WITH_SPACE"],
  ["1abc", "_ABC"],
  ["123", "_"],
  ["9-lives", "_LIVES"],
  ["_private", "_PRIVATE"],
  ["__x", "_X"],
  ["_1x", "_X"],
  ["x1", "X1"],
  ["ümlaut", "_MLAUT"],
  ["a$b", "A_B"],
];

for (const [name, variable] of variables) {
  Deno.test(`optionVariable() turns '${name}' into ${variable}`, () => {
    assertEquals(optionVariable(name), variable);
  });
}

// --- shellQuote / optionsEnvFile -----------------------------------------------------------

Deno.test("shellQuote() wraps in single quotes and splits out single quotes", () => {
  assertEquals(shellQuote("plain"), "'plain'");
  assertEquals(shellQuote(""), "''");
  assertEquals(shellQuote("it's"), `'it'\\''s'`);
});

Deno.test("optionsEnvFile() writes one NAME='value' line per option, in order", () => {
  assertEquals(
    optionsEnvFile({ "node-version": "18", installYarn: true, gyp: false, "0x": "z" }),
    "NODE_VERSION='18'\nINSTALLYARN='true'\nGYP='false'\n_X='z'\n",
  );
  assertEquals(optionsEnvFile({}), "");
});

/** Sources `text` with sh in a temporary folder and prints `$name` exactly. */
async function sourced(text: string, name: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "devaipod-options-" });
  try {
    await Deno.writeTextFile(`${dir}/features.env`, text);
    const out = await new Deno.Command("sh", {
      args: ["-c", `. ./features.env; printf %s "$${name}"`],
      cwd: dir,
      env: { HOME: "/home/from-env" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, `sh failed: ${stderr}`);
    assertEquals(stderr, "");
    return new TextDecoder().decode(out.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const values: [string, string][] = [
  ["a single quote", "it's"],
  ["only single quotes", "'''"],
  ["a dollar variable", "$HOME"],
  ["a braced variable", "${HOME:-x}"],
  ["a command substitution", "$(echo pwned)"],
  ["backquotes", "`echo pwned`"],
  ["spaces", "  a  b  "],
  ["double quotes", '"quoted"'],
  ["backslashes", "C:\\path\\n"],
  ["a newline", "line 1\nline 2"],
  ["a semicolon and a hash", "a; echo x # no"],
  ["an empty value", ""],
  ["glob characters", "*?[a]"],
  ["everything", `it's "$HOME" \`x\` \\ ; *`],
];

for (const [name, value] of values) {
  Deno.test(`optionsEnvFile() quotes a value with ${name} so that sh reads it back exactly`, async () => {
    const text = optionsEnvFile({ opt: value });
    assertMatch(text, /^OPT='/);
    assertEquals(await sourced(text, "OPT"), value);
  });
}

Deno.test("optionsEnvFile() keeps every option of a file apart when sourced", async () => {
  const text = optionsEnvFile({ "node-version": "it's 1", "b": "$x", "c": true });
  assertEquals(await sourced(text, "NODE_VERSION"), "it's 1");
  assertEquals(await sourced(text, "B"), "$x");
  assertEquals(await sourced(text, "C"), "true");
});
