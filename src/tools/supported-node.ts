// The Node.js versions the Node tools (npm start, model:build, bench, tests) are supported on, and the check at start.

/** Major versions tested: 20 by CI on every change; 22 is what wrangler and miniflare declare. */
export const SUPPORTED_NODE_MAJORS = [20, 22] as const;
/** Below this minor of Node 20, `import.meta.dirname` (used by the tools) does not exist. */
const MIN_NODE_20_MINOR = 11;

/** Undefined when `version` (as in process.version, "v20.20.2") is supported, else a message that says what to install. */
export function unsupportedNodeMessage(version: string): string | undefined {
  const match = /^v?(\d+)\.(\d+)\.\d+/.exec(version);
  const supported = "Node.js 20 (20.11 or later) or 22";
  if (!match) return `cannot read the Node.js version "${version}"; this project needs ${supported}`;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (!(SUPPORTED_NODE_MAJORS as readonly number[]).includes(major) || (major === 20 && minor < MIN_NODE_20_MINOR)) {
    return `Node.js ${version} is not supported: this project needs ${supported} (CI runs Node 20). Install one of them, e.g. with nvm.`;
  }
  return undefined;
}

/** Exits with the message when the running Node.js is not supported; NODE_VERSION_CHECK=off skips it at your own risk. */
export function exitOnUnsupportedNode(): void {
  if (process.env.NODE_VERSION_CHECK === "off") return;
  const message = unsupportedNodeMessage(process.version);
  if (!message) return;
  console.error(`${message}\n(set NODE_VERSION_CHECK=off to try anyway)`);
  process.exit(1);
}
