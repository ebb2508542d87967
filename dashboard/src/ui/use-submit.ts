/** A form's submit: busy flag, the API's error (shown with its request id), and the answer. */
import { useState } from 'preact/hooks';
import { ApiError } from '../api';

export function useSubmit<T = unknown>() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [result, setResult] = useState<T>();
  const run = async (f: () => Promise<T>): Promise<boolean> => {
    setBusy(true);
    setError(undefined);
    try {
      setResult(await f());
      return true;
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'CLIENT', (e as Error).message, null));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, result, run, clear: () => setResult(undefined) };
}

/** Wraps a submit handler: no page reload, then the action. */
export const onSubmit = (f: () => void) => (e: Event) => {
  e.preventDefault();
  f();
};
