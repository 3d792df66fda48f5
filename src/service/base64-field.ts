// A base64 field of a JSON body to bytes, or 400 invalid_base64 naming the field.
import { decodeBase64 } from "../shared/base64";
import { ApiError } from "./errors";

export function base64Field(text: string, field: string): Uint8Array {
  const bytes = decodeBase64(text);
  if (!bytes) throw new ApiError(400, "invalid_base64", `${field} is not valid base64`);
  return bytes;
}
