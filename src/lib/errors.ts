// The one error shape of the service: { error: { code, message, details } }.

export type ErrorDetails = unknown;

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = 'AppError';
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, details: this.details ?? null } };
  }
}

export const badRequest = (message: string, details?: ErrorDetails) => new AppError(400, 'bad_request', message, details);
export const validationError = (message: string, details?: ErrorDetails) =>
  new AppError(400, 'validation_error', message, details);
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (code: string, message: string, details?: ErrorDetails) => new AppError(409, code, message, details);
export const unauthorized = (message = 'missing or invalid credentials') => new AppError(401, 'unauthorized', message);
export const forbidden = (message = 'not allowed') => new AppError(403, 'forbidden', message);
export const payloadTooLarge = (message: string, details?: ErrorDetails) =>
  new AppError(413, 'payload_too_large', message, details);
export const unprocessable = (code: string, message: string, details?: ErrorDetails) =>
  new AppError(422, code, message, details);

/** A zod-like issue list → details naming each bad path. */
export function issuesToDetails(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, prefix = '') {
  return issues.map((i) => ({ path: formatPath(i.path, prefix), message: i.message }));
}

export function formatPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}
