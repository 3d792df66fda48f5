// The one error of model:fetch: a stable code, the file it is about, and why.

export type FetchErrorCode =
  | "not_found" // the Hub has no such file (or repo/revision)
  | "http_error" // any other non-success status
  | "network" // the connection failed, even after resuming
  | "size_mismatch" // the file's size differs from what the Hub announced
  | "hash_mismatch" // the file's sha256 (LFS) or git blob sha1 differs from the Hub's ETag
  | "bad_usage"; // options that cannot work together

export class FetchError extends Error {
  constructor(
    readonly code: FetchErrorCode,
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = "FetchError";
  }
}
