import type { EmulatorClient } from './options.js';

/**
 * The client every emulator knows unless told otherwise. Its secret is published on purpose
 * (README, docs, CLI banner): it only ever opens the emulator.
 */
export const DEMO_CLIENT: EmulatorClient = Object.freeze({
  clientId: 'audiencectl-demo',
  clientSecret: 'demo-secret-not-for-production',
  orgId: 'DEMO0RG0000000000000000@AdobeOrg',
});

/** The sandbox the demo and the docs use. */
export const DEMO_SANDBOX = 'prod';
