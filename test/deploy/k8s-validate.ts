import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, PersistentVolumeClaim, Pod, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';

type Validating = { validate(): void };
type ModelClass = new (data: never) => Validating;

/** The kinds the chart may render; any other kind is a failure in itself. */
const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Pod': Pod,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

type Reads = Map<object, { path: string; read: Set<string> }>;

/** A view of `value` that records every property the validator reads, at any depth. */
function watched<T>(value: T, path: string, reads: Reads): T {
  if (value === null || typeof value !== 'object') return value;
  const read = new Set<string>();
  reads.set(value, { path, read });
  const children = new Map<string, unknown>();
  return new Proxy(value, {
    get(target, key, receiver) {
      const child: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return child;
      read.add(key);
      if (child === null || typeof child !== 'object') return child;
      if (!children.has(key)) children.set(key, watched(child, `${path}/${key}`, reads));
      return children.get(key);
    },
  });
}

/**
 * Validates one rendered object against the Kubernetes (or Prometheus Operator) schema
 * and refuses unknown fields, as the API server's strict field validation does.
 * kubernetes-models' validators ignore unknown properties, but they read every
 * property the schema knows (and every key of a free-form map): a key the
 * validator never read is unknown to the schema.
 */
export function kubernetesProblems(object: Record<string, unknown>): string[] {
  const id = `${String(object.apiVersion)}/${String(object.kind)}`;
  const Model = MODELS[id];
  if (Model === undefined) return [`${id}: no schema for this kind`];
  const model = new Model(object as never);
  const reads: Reads = new Map();
  const problems: string[] = [];
  try {
    model.validate.call(watched(model, '', reads));
  } catch (error) {
    problems.push((error as Error).message);
  }
  for (const [node, { path, read }] of reads) {
    if (Array.isArray(node)) continue;
    for (const key of Object.keys(node)) if (!read.has(key)) problems.push(`${path}/${key}: unknown field`);
  }
  return problems;
}
