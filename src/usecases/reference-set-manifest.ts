// Looking up a tenant's reference set by id: absent and malformed ids read the same, and a set serves one object only.
import { DomainError } from "./domain-error";
import { REFERENCE_SET_ID, type ReferenceSetManifest, type ReferenceSetStore } from "./reference-set-store";

export function referenceSetNotFound(id: string): DomainError {
  return new DomainError("rejected", "reference_set_not_found", `no reference set ${id}`);
}

export async function requireManifest(store: Pick<ReferenceSetStore, "getManifest">, tenant: string, id: string): Promise<ReferenceSetManifest> {
  const manifest = REFERENCE_SET_ID.test(id) ? await store.getManifest(tenant, id) : undefined;
  if (!manifest) throw referenceSetNotFound(id);
  return manifest;
}

/** The set's manifest, if it is a set of `object`: its calibration holds for that object's text features only. */
export async function requireManifestFor(
  store: Pick<ReferenceSetStore, "getManifest">,
  tenant: string,
  id: string,
  object: string,
): Promise<ReferenceSetManifest> {
  const manifest = await requireManifest(store, tenant, id);
  if (manifest.object !== object) throw new DomainError("rejected", "object_mismatch", `reference set ${id} is for "${manifest.object}", not "${object}"`);
  return manifest;
}
