import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

const SPEC = fileURLToPath(new URL('../../specs/external-audiences.openapi.yaml', import.meta.url));
const API_PREFIX = '/data/core/ais';

type ResponseObject = { $ref?: string; content?: Record<string, { schema?: unknown }> };
type OperationObject = { operationId: string; responses: Record<string, ResponseObject> };
type OpenApi = { paths: Record<string, Record<string, unknown>> };

export type Checked = { operationId: string; status: number };

// ajv-formats is CommonJS: under NodeNext its default import is `module.exports`, whose
// `default` is the plugin (at run time `module.exports` is the plugin too).
const addFormats = addFormatsModule.default;

function escape(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * Validates real responses of the emulator against specs/external-audiences.openapi.yaml:
 * the path and method must be in the spec, the status documented for that operation, and
 * the body valid against the documented schema (or empty where none is documented).
 */
export class OpenApiValidator {
  readonly document: OpenApi;
  private readonly ajv: Ajv2020;
  private readonly cache = new Map<string, ValidateFunction>();
  private readonly templates: { template: string; pattern: RegExp; literal: number }[];

  /** `spec`: another file of specs/ (default external-audiences.openapi.yaml). */
  constructor(spec: string = SPEC) {
    this.document = parse(readFileSync(spec, 'utf8')) as OpenApi;
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema(this.document, 'openapi.json');
    this.templates = Object.keys(this.document.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/\/$/, '').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
      literal: template.replace(/\{[^}]+\}/g, '').length,
    }));
  }

  /** `path` is the request path: `/ims/token/v3`, or relative to the API base. */
  check(method: string, path: string, status: number, body: unknown): Checked {
    const lower = method.toLowerCase();
    const bare = path.split('?', 1)[0] ?? path;
    const template = this.templates
      .filter((candidate) => candidate.pattern.test(bare) && this.operation(candidate.template, lower))
      .sort((a, b) => b.literal - a.literal)[0]?.template;
    if (!template) throw new Error(`${method} ${path} is not in the OpenAPI spec`);
    const operation = this.operation(template, lower) as OperationObject;
    const response = operation.responses[String(status)];
    if (!response) throw new Error(`${operation.operationId} does not document status ${status}`);
    const pointer = response.$ref
      ? response.$ref.slice(1)
      : `/paths/${escape(template)}/${lower}/responses/${status}`;
    const resolved = response.$ref ? this.resolve(pointer) : response;
    if (!resolved.content) {
      if (body !== undefined) throw new Error(`${operation.operationId} ${status} documents no body`);
      return { operationId: operation.operationId, status };
    }
    const validate = this.validator(`openapi.json#${pointer}/content/application~1json/schema`);
    if (!validate(body)) {
      throw new Error(
        `${operation.operationId} ${status} does not match the spec: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
      );
    }
    return { operationId: operation.operationId, status };
  }

  /**
   * `body` against the schema `name` of the spec's components, for an answer no operation
   * documents (a queued clientError fault's status, set by a test).
   */
  checkSchema(name: string, body: unknown): void {
    const validate = this.validator(`openapi.json#/components/schemas/${escape(name)}`);
    if (!validate(body))
      throw new Error(
        `${name} does not match the spec: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
      );
  }

  operationIds(): string[] {
    return Object.values(this.document.paths).flatMap((item) =>
      Object.values(item)
        .filter(
          (value): value is OperationObject =>
            typeof value === 'object' && value !== null && 'operationId' in value,
        )
        .map((operation) => operation.operationId),
    );
  }

  static get apiPrefix(): string {
    return API_PREFIX;
  }

  private operation(template: string, method: string): OperationObject | undefined {
    const value = this.document.paths[template]?.[method];
    return typeof value === 'object' && value !== null && 'responses' in value
      ? (value as OperationObject)
      : undefined;
  }

  private resolve(pointer: string): ResponseObject {
    let node: unknown = this.document;
    for (const part of pointer.split('/').slice(1)) {
      node = (node as Record<string, unknown>)[part.replaceAll('~1', '/').replaceAll('~0', '~')];
    }
    return node as ResponseObject;
  }

  private validator(ref: string): ValidateFunction {
    let validate = this.cache.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.cache.set(ref, validate);
    }
    return validate;
  }
}
