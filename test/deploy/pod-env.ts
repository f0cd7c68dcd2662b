import { find, type K8sObject } from './helm.js';

export type EnvSource = { value?: string; secret?: { name: string; key: string; optional?: boolean } };

type EnvVar = {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
};
export type Container = {
  name: string;
  image: string;
  args?: string[];
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  terminationMessagePolicy?: string;
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
};
export type PodSpec = {
  initContainers?: Container[];
  containers: Container[];
  volumes?: ({ name: string } & Record<string, unknown>)[];
  securityContext?: Record<string, unknown>;
};
export type DeploymentSpec = {
  replicas: number;
  strategy: { type: string };
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
};

export function deploymentSpec(objects: K8sObject[]): DeploymentSpec {
  return find(objects, 'Deployment').spec as DeploymentSpec;
}

export function controller(objects: K8sObject[]): Container {
  const container = deploymentSpec(objects).template.spec.containers[0];
  if (!container) throw new Error('the Deployment has no container');
  return container;
}

/** What the controller's process sees: the ConfigMaps it loads, then its own env (which wins). */
export function controllerEnv(objects: K8sObject[]): Map<string, EnvSource> {
  const container = controller(objects);
  const env = new Map<string, EnvSource>();
  for (const from of container.envFrom ?? []) {
    const name = from.configMapRef?.name;
    if (name === undefined) continue;
    const data = (find(objects, 'ConfigMap', name).data ?? {}) as Record<string, string>;
    for (const [key, value] of Object.entries(data)) env.set(key, { value });
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    env.set(variable.name, ref ? { secret: ref } : { value: variable.value ?? '' });
  }
  return env;
}
