import type { AepErrorDetail } from './errors.js';

/** What an error answer said, whatever its shape. */
export type ErrorBodyInfo = {
  shape: 'platform' | 'gateway' | 'json' | 'text' | 'empty';
  platformCode?: string;
  /** The code of a `type` in AEP's own namespace (`https://ns.adobe.com/aep/errors/EXEG-0104-422`). */
  aepTypeCode?: string;
  /** The service's own words, shortened; never trusted to be free of user input. */
  message?: string;
  details: AepErrorDetail[];
};

const MAX_MESSAGE = 300;
const MAX_DETAILS = 20;
/** The last segment of `https://ns.adobe.com/aep/errors/100950-409`. */
const TYPE_CODE = /\/errors\/([A-Za-z0-9_.-]+)\/?$/;
/** AEP's namespace of error types, which no machine in between writes. */
const AEP_TYPE_BASE = 'https://ns.adobe.com/aep/errors/';
const CODE_IN_TEXT = /\b(\d{6}-\d{3})\b/;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function shorten(value: string): string {
  const single = value.replace(/\s+/g, ' ').trim();
  return single.length > MAX_MESSAGE ? `${single.slice(0, MAX_MESSAGE - 1)}…` : single;
}

function readDetails(value: unknown): AepErrorDetail[] {
  if (!Array.isArray(value)) return [];
  const details: AepErrorDetail[] = [];
  for (const item of value.slice(0, MAX_DETAILS)) {
    if (typeof item === 'string') {
      details.push({ message: shorten(item) });
      continue;
    }
    if (!isObject(item)) continue;
    const message = text(item['message']) ?? text(item['detail']) ?? text(item['title']);
    if (message === undefined) continue;
    const path = text(item['path']) ?? text(item['field']) ?? text(item['property']);
    details.push(path === undefined ? { message: shorten(message) } : { path, message: shorten(message) });
  }
  return details;
}

function codeOfType(type: unknown): string | undefined {
  const value = text(type);
  return value === undefined ? undefined : TYPE_CODE.exec(value)?.[1];
}

/**
 * Reads every error shape Platform APIs are known to answer with:
 * - platform (and the emulator, specs/emulator-errors.md): `{ type: ".../errors/<CODE>", title,
 *   status, detail, report: { errorCode, requestId, errors: [{ path, message }] } }`
 * - gateway: `{ error_code, message }`
 * - other JSON: `{ errorCode | code, message | detail | title | error_description }`,
 *   `{ error: { code, message } }`, `{ errors: [...] }`
 * - plain text or an HTML error page.
 */
export function readErrorBody(body: string | undefined): ErrorBodyInfo {
  const raw = body?.trim() ?? '';
  if (raw === '') return { shape: 'empty', details: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return readText(raw);
  }
  if (!isObject(parsed)) return readText(raw);
  return readJson(parsed);
}

/** Whether `body` is a JSON object, the shape of every error the service itself answers. */
export function isJsonObjectText(body: string | undefined): boolean {
  try {
    return isObject(JSON.parse(body ?? ''));
  } catch {
    return false;
  }
}

function readJson(json: Json): ErrorBodyInfo {
  const report = isObject(json['report']) ? json['report'] : {};
  const nested = isObject(json['error']) ? json['error'] : {};
  const gatewayCode = text(json['error_code']);
  const platformCode =
    text(report['errorCode']) ??
    codeOfType(json['type']) ??
    gatewayCode ??
    text(json['errorCode']) ??
    text(json['code']) ??
    text(nested['code']);
  const message =
    text(json['detail']) ??
    text(json['message']) ??
    text(nested['message']) ??
    text(json['error_description']) ??
    text(json['title']) ??
    text(json['error']);
  const details = [...readDetails(report['errors']), ...readDetails(json['errors'])];
  let shape: ErrorBodyInfo['shape'] = 'json';
  if (json['type'] !== undefined || json['report'] !== undefined) shape = 'platform';
  else if (gatewayCode !== undefined) shape = 'gateway';
  const info: ErrorBodyInfo = { shape, details };
  if (platformCode !== undefined) info.platformCode = platformCode;
  const type = text(json['type']);
  if (type?.startsWith(AEP_TYPE_BASE) === true) {
    const aepTypeCode = codeOfType(type);
    if (aepTypeCode !== undefined) info.aepTypeCode = aepTypeCode;
  }
  if (message !== undefined) info.message = shorten(message);
  return info;
}

function readText(raw: string): ErrorBodyInfo {
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(raw)?.[1];
  const stripped = (
    title ?? raw.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]+>/g, ' ')
  )
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&');
  const info: ErrorBodyInfo = { shape: 'text', details: [] };
  const platformCode = CODE_IN_TEXT.exec(raw)?.[1];
  if (platformCode !== undefined) info.platformCode = platformCode;
  const message = shorten(stripped);
  if (message !== '') info.message = message;
  return info;
}
