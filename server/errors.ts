/** The one error type: a stable code, an HTTP status, a message for humans. */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Headers the answer must carry (Retry-After, Allow, WWW-Authenticate). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string, code = 'NOT_FOUND') => new AppError(code, 404, `${what} not found`);
export const badRequest = (message: string, details?: Record<string, unknown>, code = 'BAD_REQUEST') =>
  new AppError(code, 400, message, details);
export const conflict = (code: string, message: string) => new AppError(code, 409, message);
