// Every error the API returns is { error, message }, where message says what to do next.
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';

export class HttpError extends Error {
  constructor(
    public statusCode: number,
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} does not exist: check the id`);

/** Maps what Temporal says into what a person can act on. */
export function fromTemporal(err: unknown, districtId: string): HttpError | null {
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    const reason = cause instanceof ApplicationFailure ? cause.message : (cause?.message ?? err.message);
    return new HttpError(409, 'refused', reason);
  }
  if (err instanceof WorkflowNotFoundError) {
    return new HttpError(404, 'not_found', `district "${districtId}" has no onboarding workflow: register it first`);
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return new HttpError(409, 'already_registered', `district "${districtId}" is already registered`);
  }
  return null;
}
