// Opens a model bundle through a byte-reading port, verifies every file against the manifest, creates sessions lazily.
import {
  GRAPH_WEIGHTS,
  isStagedManifest,
  parseBundleManifest,
  sha256Hex,
  type BundleFile,
  type BundleFileRole,
  type BundleManifest,
  type GraphRole,
} from "./bundle-manifest";
import { OnnxModel, type SessionOptions } from "./onnx-session";

/** Where bundle files come from: a folder in Node, an R2 prefix in Workers. */
export interface BundleReader {
  read(path: string): Promise<Uint8Array>;
}

export class BundleError extends Error {
  constructor(
    readonly code: "bundle_invalid" | "bundle_hash_mismatch" | "bundle_missing_file" | "bundle_staged",
    message: string,
  ) {
    super(message);
    this.name = "BundleError";
  }
}

export class ModelBundle {
  private readonly sessions = new Map<GraphRole, Promise<OnnxModel>>();

  private constructor(
    readonly manifest: BundleManifest,
    private readonly reader: BundleReader,
    private readonly sessionOptions: SessionOptions,
  ) {}

  static async open(reader: BundleReader, sessionOptions: SessionOptions = {}): Promise<ModelBundle> {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(await reader.read("manifest.json")));
    } catch (e) {
      throw new BundleError("bundle_invalid", `cannot read manifest.json: ${(e as Error).message}`);
    }
    if (isStagedManifest(json)) {
      throw new BundleError("bundle_staged", "staged bundles need stage Workers, not served yet: build without --stages / --isolate-budget-mb");
    }
    try {
      return new ModelBundle(parseBundleManifest(json), reader, sessionOptions);
    } catch (e) {
      throw new BundleError("bundle_invalid", `manifest.json is not a valid bundle manifest: ${(e as Error).message}`);
    }
  }

  /** Reads one file of the bundle and checks its size and sha256 against the manifest. */
  readFile(role: BundleFileRole): Promise<Uint8Array> {
    return this.readEntry(this.manifest.files[role]);
  }

  /** The build-time text features by object name, or undefined when the bundle has none. */
  async precomputedTextFeatures(): Promise<{ promptSet: string; features: Map<string, Float32Array> } | undefined> {
    const p = this.manifest.precomputedTextFeatures;
    if (!p) return undefined;
    const bytes = await this.readEntry(p.file);
    const size = 2 * this.manifest.architecture.embedDim;
    if (bytes.length !== p.objects.length * size * 4) {
      throw new BundleError("bundle_invalid", `${p.file.path} holds ${bytes.length} bytes, ${p.objects.length} objects need ${p.objects.length * size * 4}`);
    }
    const all = new Float32Array(bytes.slice().buffer);
    return { promptSet: p.promptSet, features: new Map(p.objects.map((name, i) => [name, all.slice(i * size, (i + 1) * size)])) };
  }

  private async readEntry(entry: BundleFile): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = await this.reader.read(entry.path);
    } catch (e) {
      throw new BundleError("bundle_missing_file", `bundle file ${entry.path} cannot be read: ${(e as Error).message}`);
    }
    if (bytes.length !== entry.bytes || (await sha256Hex(bytes)) !== entry.sha256) {
      throw new BundleError("bundle_hash_mismatch", `bundle file ${entry.path} does not match manifest.json (size or sha256)`);
    }
    return bytes;
  }

  /** The session for one graph, created on first use and kept; the model bytes are dropped once ORT has them. */
  session(role: GraphRole): Promise<OnnxModel> {
    let s = this.sessions.get(role);
    if (!s) {
      s = this.loadSession(role);
      s.catch(() => this.sessions.delete(role));
      this.sessions.set(role, s);
    }
    return s;
  }

  private async loadSession(role: GraphRole): Promise<OnnxModel> {
    const graph = await this.readFile(role);
    const weightsRole = GRAPH_WEIGHTS[role];
    if (!weightsRole) return OnnxModel.load(graph, this.sessionOptions);
    const weights = await this.readFile(weightsRole);
    return OnnxModel.load(graph, this.sessionOptions, { path: this.manifest.files[weightsRole].path, data: weights });
  }

  async releaseSession(role: GraphRole): Promise<void> {
    const s = this.sessions.get(role);
    this.sessions.delete(role);
    if (s) await (await s).release();
  }
}
