// The isolate's one model queue, shared by its entry points: HTTP model requests and queued jobs take turns in it.
import { AdmissionQueue } from "../service/admission";
import { admissionLimits } from "../service/http-limits";
import type { Limits } from "../usecases/limits";

let admission: AdmissionQueue | undefined;

/** Sized from the first caller's limits (every entry point of an isolate reads the same vars). */
export function isolateAdmission(limits: Limits): AdmissionQueue {
  admission ??= new AdmissionQueue(admissionLimits(limits));
  return admission;
}
