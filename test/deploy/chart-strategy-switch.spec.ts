import { describe, expect, it } from 'vitest';
import { helmBinaries, MINIMAL_VALUES, template } from './helm.js';
import { deploymentSpec } from './pod-env.js';

/**
 * REVIEW chart-43 M-1 (fixed: templates/deployment.yaml clears rollingUpdate under Recreate). A release on the PostgreSQL state runs its Deployment with
 * `RollingUpdate`, and Kubernetes fills in `strategy.rollingUpdate` (25% / 25%) on the live
 * object. Going back to the file state (`helm upgrade --set state.backend=file`, or the
 * emergency path: `helm rollback` to the revision before the move to PostgreSQL) renders
 * `strategy: {type: Recreate}`. helm patches the live object with a three-way merge of the
 * previous manifest, the new one and the live object: a key that neither manifest names is
 * left alone, so the live `rollingUpdate` stays, and the API server refuses the Deployment
 * ("spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is
 * 'Recreate'", kubernetes/kubernetes#24198, helm/helm#5144): UPGRADE FAILED, the release
 * stuck on the replicas it had.
 *
 * Here: helm's three-way patch of a map (apimachinery's CreateThreeWayMergePatch: keys the new
 * manifest changes or sets, plus deletions of keys the previous manifest had and the new one
 * lacks, or sets to null), applied to the live strategy as the API server defaults it, then
 * the API server's rule for Recreate.
 */
type Json = Record<string, unknown>;

function isMap(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The patch helm sends for a map: from `original` (previous manifest) to `modified`, over `current`. */
function threeWayPatch(original: Json, modified: Json, current: Json): Json {
  const patch: Json = {};
  for (const [key, value] of Object.entries(modified)) {
    if (value === null) {
      if (key in current) patch[key] = null;
    } else if (isMap(value) && isMap(current[key])) {
      const inner = threeWayPatch(isMap(original[key]) ? original[key] : {}, value, current[key]);
      if (Object.keys(inner).length > 0) patch[key] = inner;
    } else if (JSON.stringify(value) !== JSON.stringify(current[key])) patch[key] = value;
  }
  for (const key of Object.keys(original)) if (!(key in modified)) patch[key] = null;
  return patch;
}

function applyPatch(target: Json, patch: Json): Json {
  const result: Json = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (isMap(value) && isMap(result[key])) result[key] = applyPatch(result[key], value);
    else result[key] = value;
  }
  return result;
}

/** The API server's defaults for a Deployment's strategy (apps/v1 SetDefaults_Deployment). */
function defaulted(strategy: Json): Json {
  if (strategy['type'] !== 'RollingUpdate') return strategy;
  const rollingUpdate = isMap(strategy['rollingUpdate']) ? strategy['rollingUpdate'] : {};
  return { ...strategy, rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%', ...rollingUpdate } };
}

/** The API server's validation of a strategy (apps ValidateDeploymentStrategy). */
function refusal(strategy: Json): string | undefined {
  if (strategy['type'] === 'Recreate' && strategy['rollingUpdate'] !== undefined)
    return "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'";
  return undefined;
}

const POSTGRES = {
  ...MINIMAL_VALUES,
  state: { backend: 'postgres' },
  secret: { ...MINIMAL_VALUES.secret, stateUrl: 'postgres://audiencectl:pw@db:5432/audiencectl' },
};

describe.each(helmBinaries())('helm $major: from the PostgreSQL state back to the file state', (bin) => {
  it.concurrent('the Deployment takes the Recreate strategy over the live rolling one', async () => {
    const previous = await template(bin, { values: POSTGRES });
    const next = await template(bin, { values: MINIMAL_VALUES });
    expect(previous.stderr).toBe('');
    expect(next.stderr).toBe('');
    const original = deploymentSpec(previous.objects).strategy as Json;
    const modified = deploymentSpec(next.objects).strategy as Json;
    expect(original['type']).toBe('RollingUpdate');
    expect(modified['type']).toBe('Recreate');
    const live = defaulted(original);
    const patched = applyPatch(live, threeWayPatch(original, modified, live));
    expect(refusal(patched)).toBeUndefined();
    expect(patched['type']).toBe('Recreate');
  });
});
