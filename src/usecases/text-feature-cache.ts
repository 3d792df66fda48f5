// The storage port of computed text features: [embedDim, 2] floats per model hash and object name.

export interface TextFeatureCache {
  get(modelHash: string, objectName: string): Promise<Float32Array | undefined>;
  put(modelHash: string, objectName: string, features: Float32Array): Promise<void>;
}
