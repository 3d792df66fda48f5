// What scoring one image takes and gives: the contract between the HTTP routes, the job consumer and the scorer.
export interface ScoreInput {
  object: string;
  /** The uploaded JPEG or PNG, undecoded. */
  image: Uint8Array;
  /** A reference set of the same tenant: few-shot mode. */
  referenceSet?: string;
  map: "png" | "none";
  regions: boolean;
}

/** The JSON body of a 200 from POST /v1/score; also the `result` of a finished job. */
export type ScoreResult = {
  object: string;
  mode: "zero-shot" | "few-shot";
  score: number;
  isAnomalous: boolean;
  threshold: number;
} & Record<string, unknown>;

/** Scores for `tenant`; throws DomainError or ImageError on bad input (failureOf classifies them). */
export type ScoreImage = (tenant: string, input: ScoreInput) => Promise<ScoreResult>;
