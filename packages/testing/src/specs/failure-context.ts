/**
 * Runs `check` and, when it throws, puts `context` in front of the error's message. The error
 * itself is kept (an AssertionError keeps its diff and its actual/expected), so a failing spec
 * says which spec and which step failed, then shows what differed.
 */
export async function withContext<T>(context: string, check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (error instanceof Error) error.message = `${context}\n${error.message}`;
    throw error;
  }
}
