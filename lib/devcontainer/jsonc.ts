/**
 * JSONC (JSON with comments and trailing commas) parsed with jsonc-parser, the parser VS Code
 * uses, keeping the syntax tree so that any value can be traced back to its line and column.
 */
import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode } from "jsonc-parser";
import type { Node, ParseError } from "jsonc-parser";
import { ConfigError } from "../errors.ts";

/** A path into a JSON value: property names and array indexes. */
export type JsonPath = readonly (string | number)[];

/** A 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

/** A parsed JSONC document with the means to locate its values. */
export interface JsoncDocument {
  file: string;
  text: string;
  value: unknown;
  tree: Node | undefined;
  /** Where the value at `path` starts; the nearest existing ancestor when it is absent. */
  locate(path: JsonPath): Position;
  /** Where the property name at `path` starts (for unknown-key warnings), else its value. */
  locateKey(path: JsonPath): Position;
}

const SYNTAX_MESSAGES: Record<string, string> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "invalid number",
  PropertyNameExpected: "expected a property name in double quotes",
  ValueExpected: "expected a value",
  ColonExpected: "expected ':'",
  CommaExpected: "expected ',' between values",
  CloseBraceExpected: "expected '}' to close the object",
  CloseBracketExpected: "expected ']' to close the array",
  EndOfFileExpected: "expected the end of the file after the top-level value",
  InvalidCommentToken: "invalid comment",
  UnexpectedEndOfComment: "unterminated block comment",
  UnexpectedEndOfString: "unterminated string",
  UnexpectedEndOfNumber: "unterminated number",
  InvalidUnicode: "invalid unicode escape",
  InvalidEscapeCharacter: "invalid escape character in string",
  InvalidCharacter: "invalid character in string (control characters must be escaped)",
};

/** Maps offsets to 1-based line:column. */
export function positionAt(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function describeSyntaxError(text: string, error: ParseError): string {
  const name = printParseErrorCode(error.error);
  const base = SYNTAX_MESSAGES[name] ?? name;
  const found = text.slice(error.offset, error.offset + Math.max(1, Math.min(error.length, 20)));
  if (error.offset >= text.length) return `${base}, found the end of the file`;
  return `${base}, found ${JSON.stringify(found)}`;
}

/**
 * Parses JSONC. A syntax error throws {@link ConfigError} located at `file:line:col`; an empty
 * document is an error too.
 */
export function parseJsonc(text: string, file: string): JsoncDocument {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, {
    allowTrailingComma: true,
    disallowComments: false,
    allowEmptyContent: false,
  });
  const first = errors[0];
  if (first) {
    const pos = positionAt(text, first.offset);
    const more = errors.length > 1
      ? ` (and ${errors.length - 1} more syntax error${errors.length > 2 ? "s" : ""})`
      : "";
    throw new ConfigError(`${describeSyntaxError(text, first)}${more}`, {
      location: { file, ...pos },
      hint: "devcontainer.json is JSON with comments (JSONC): check quotes, commas and brackets",
    });
  }
  const value = tree ? getNodeValue(tree) : undefined;
  const locateNode = (path: JsonPath): Node | undefined => {
    if (!tree) return undefined;
    for (let n = path.length; n >= 0; n--) {
      const node = findNodeAtLocation(tree, [...path.slice(0, n)]);
      if (node) return node;
    }
    return tree;
  };
  return {
    file,
    text,
    value,
    tree,
    locate: (path) => positionAt(text, locateNode(path)?.offset ?? 0),
    locateKey: (path) => {
      const node = locateNode(path);
      const property = node?.parent?.type === "property" ? node.parent : undefined;
      return positionAt(text, (property ?? node)?.offset ?? 0);
    },
  };
}

/** Property names that appear more than once in one object: each repeat's path and position. */
export function duplicateKeys(doc: JsoncDocument): { path: JsonPath; position: Position }[] {
  const found: { path: JsonPath; position: Position }[] = [];
  const walk = (node: Node, path: (string | number)[]) => {
    if (node.type === "object") {
      const seen = new Set<string>();
      for (const prop of node.children ?? []) {
        const [key, value] = prop.children ?? [];
        if (!key || typeof key.value !== "string") continue;
        if (seen.has(key.value)) {
          found.push({ path: [...path, key.value], position: positionAt(doc.text, key.offset) });
        }
        seen.add(key.value);
        if (value) walk(value, [...path, key.value]);
      }
    } else if (node.type === "array") {
      (node.children ?? []).forEach((child, i) => walk(child, [...path, i]));
    }
  };
  if (doc.tree) walk(doc.tree, []);
  return found;
}
