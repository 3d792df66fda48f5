// Opens a model bundle through a byte-reading port, verifies every file against the manifest, creates sessions lazily.
import {
  GRAPH_WEIGHTS,
  isStaged,
  parseServedManifest,
  sha256Hex,
  type BundleFile,
  type BundleFileRole,
  type GraphRole,
  type ServedManifest,
  type StagedBundleManifest,
  type TextEmbeddingEntry,
} from "./bundle-manifest";
import { tokenEmbeddingRowBytes } from "./token-embedding-format";
import { OnnxModel, type SessionOptions } from "./onnx-session";
import { releaseBuffer } from "../../shared/release-buffer";

/** Where bundle files come from: a folder in Node, an R2 prefix in Workers. */
export interface BundleReader {
  read(path: string): Promise<Uint8Array>;
  /**
   * `length` bytes of a file from `offset` (R2 range reads): what text stage 0 reads of the token embedding table.
   * Absent: the whole file is read and sliced.
   */
  readRange?(path: string, offset: number, length: number): Promise<Uint8Array>;
  /**
   * True when every read returns a new buffer nobody else holds: the bundle may then detach a weights buffer as soon
   * as ORT has copied it, instead of leaving it to the collector (the load peak of a stage Worker).
   */
  readonly freshBuffers?: boolean;
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
  private readonly stageSessions = new Map<number, Promise<OnnxModel>>();
  private readonly textStageSessions = new Map<number, Promise<OnnxModel>>();

  private constructor(
    readonly manifest: ServedManifest,
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
    let manifest: ServedManifest;
    try {
      manifest = parseServedManifest(json);
    } catch (e) {
      throw new BundleError("bundle_invalid", `manifest.json is not a valid bundle manifest: ${(e as Error).message}`);
    }
    if (isStaged(manifest)) checkStages(manifest);
    return new ModelBundle(manifest, reader, sessionOptions);
  }

  /** The image-tower stages of a staged bundle (its image graph runs stage by stage); undefined for a single graph. */
  get stages(): StagedBundleManifest["stages"] | undefined {
    return isStaged(this.manifest) ? this.manifest.stages : undefined;
  }

  /** The text-tower stages of a bundle whose text tower runs stage by stage; undefined for a whole text graph. */
  get textStages(): StagedBundleManifest["stages"] | undefined {
    return isStaged(this.manifest) ? this.manifest.textStages : undefined;
  }

  /** The token embedding table file of a text tower in stages whose stage 0 reads gathered rows; undefined otherwise. */
  get textEmbedding(): TextEmbeddingEntry | undefined {
    return isStaged(this.manifest) ? this.manifest.textEmbedding : undefined;
  }

  /**
   * `count` rows of the token embedding table from row `first`, by a range read. A range cannot be checked against the
   * file's sha256 (the whole file is hashed at build and upload); its length is checked.
   */
  async readTextEmbeddingRows(first: number, count: number): Promise<Uint8Array> {
    const t = this.textEmbedding;
    if (!t) throw new BundleError("bundle_invalid", "the bundle has no token embedding table file (textEmbedding)");
    if (!(Number.isInteger(first) && Number.isInteger(count) && first >= 0 && count >= 1 && first + count <= t.rows)) {
      throw new RangeError(`token embedding rows [${first}, ${first + count}) are outside the table's ${t.rows} rows`);
    }
    const stride = tokenEmbeddingRowBytes(t.encoding, t.width);
    const [offset, length] = [first * stride, count * stride];
    let bytes: Uint8Array;
    try {
      bytes = this.reader.readRange
        ? await this.reader.readRange(t.file.path, offset, length)
        : (await this.reader.read(t.file.path)).slice(offset, offset + length);
    } catch (e) {
      throw new BundleError("bundle_missing_file", `bundle file ${t.file.path} cannot be read (bytes ${offset}+${length}): ${(e as Error).message}`);
    }
    if (bytes.length !== length) {
      throw new BundleError(
        "bundle_hash_mismatch",
        `bundle file ${t.file.path}: read ${bytes.length} bytes at ${offset}, expected ${length} (shorter than manifest.json says?)`,
      );
    }
    return bytes;
  }

  /** Reads one file of the bundle and checks its size and sha256 against the manifest. */
  readFile(role: BundleFileRole): Promise<Uint8Array> {
    const entry = (this.manifest.files as Partial<Record<BundleFileRole, BundleFile>>)[role];
    if (!entry) throw new BundleError("bundle_staged", `a staged bundle has no ${role} file: that tower is run stage by stage (manifest stages, textStages)`);
    return this.readEntry(entry);
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
    const path = (this.manifest.files as Partial<Record<BundleFileRole, BundleFile>>)[weightsRole]!.path;
    return this.loadWithWeights(graph, path, weights);
  }

  /**
   * The session of image-tower stage `index` of a staged bundle: reads only that stage's graph and weights, created on
   * first use and kept.
   */
  stageSession(index: number): Promise<OnnxModel> {
    let s = this.stageSessions.get(index);
    if (!s) {
      s = this.loadStageSession(index);
      s.catch(() => this.stageSessions.delete(index));
      this.stageSessions.set(index, s);
    }
    return s;
  }

  private loadStageSession(index: number): Promise<OnnxModel> {
    // ORT copies the weights into its heap; withImageStageFiles then detaches a buffer only this bundle holds.
    return this.withImageStageFiles(index, (graph, weights) =>
      OnnxModel.load(graph, this.sessionOptions, { path: this.stages![index]!.weights.path, data: weights }),
    );
  }

  /**
   * Image-tower stage `index`'s graph and weights handed to `use` (another engine packing them); a weights buffer only
   * this bundle holds is detached once `use` has returned, not left to the collector.
   */
  async withImageStageFiles<T>(index: number, use: (graph: Uint8Array, weights: Uint8Array) => T | Promise<T>): Promise<T> {
    const stage = this.stages?.[index];
    if (!stage) throw new BundleError("bundle_invalid", `the bundle has no image-tower stage ${index}`);
    const graph = await this.readEntry(stage.graph);
    const weights = await this.readEntry(stage.weights);
    try {
      return await use(graph, weights);
    } finally {
      if (this.reader.freshBuffers) releaseBuffer(weights);
    }
  }

  /** The session of text-tower stage `index`: reads only that stage's graph and weights, created on first use and kept. */
  textStageSession(index: number): Promise<OnnxModel> {
    let s = this.textStageSessions.get(index);
    if (!s) {
      s = this.loadTextStageSession(index);
      s.catch(() => this.textStageSessions.delete(index));
      this.textStageSessions.set(index, s);
    }
    return s;
  }

  private async loadTextStageSession(index: number): Promise<OnnxModel> {
    const stage = this.textStages?.[index];
    if (!stage) throw new BundleError("bundle_invalid", `the bundle has no text-tower stage ${index}`);
    const graph = await this.readEntry(stage.graph);
    const weights = await this.readEntry(stage.weights);
    return this.loadWithWeights(graph, stage.weights.path, weights);
  }

  /** ORT copies the weights into its heap; a buffer only this bundle holds is then detached, not left to the collector. */
  private async loadWithWeights(graph: Uint8Array, path: string, weights: Uint8Array): Promise<OnnxModel> {
    const model = await OnnxModel.load(graph, this.sessionOptions, { path, data: weights });
    if (this.reader.freshBuffers) releaseBuffer(weights);
    return model;
  }

  async releaseSession(role: GraphRole): Promise<void> {
    const s = this.sessions.get(role);
    this.sessions.delete(role);
    if (s) await (await s).release();
  }
}

/** The image stages, and any text stages, each cover their tower's blocks in order. */
function checkStages(m: StagedBundleManifest): void {
  checkTowerStages(m.stages, m.architecture.vision.layers, "image");
  if (m.textStages) checkTowerStages(m.textStages, m.architecture.text.layers, "text");
  const t = m.textEmbedding;
  if (t && t.file.bytes !== t.rows * tokenEmbeddingRowBytes(t.encoding, t.width)) {
    throw new BundleError(
      "bundle_invalid",
      `manifest.json: ${t.file.path} has ${t.file.bytes} bytes, ${t.rows} ${t.encoding} rows of width ${t.width} need ${t.rows * tokenEmbeddingRowBytes(t.encoding, t.width)}`,
    );
  }
}

/** Stage i is entry i, and the stages cover the tower's blocks in order, without gaps. */
function checkTowerStages(stages: StagedBundleManifest["stages"], layers: number, tower: "image" | "text"): void {
  const what = tower === "image" ? "stage" : "text stage";
  let next = 0;
  for (const [i, s] of stages.entries()) {
    if (s.index !== i || s.blocks[0] !== next || s.blocks[1] <= s.blocks[0]) {
      throw new BundleError(
        "bundle_invalid",
        `manifest.json: ${what} ${i} (index ${s.index}, blocks [${s.blocks.join(", ")})) does not follow ${what} ${i - 1}`,
      );
    }
    next = s.blocks[1];
  }
  if (next !== layers) {
    throw new BundleError("bundle_invalid", `manifest.json: the ${what}s end at block ${next}, the ${tower} tower has ${layers}`);
  }
}
