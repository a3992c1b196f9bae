/** An error from the API, announced to screen readers; nothing when there is none. */
export function ErrorNote({ error }: { readonly error: Error | undefined }) {
  if (error === undefined) return null;
  return (
    <p class="error" role="alert">
      {error.message}
    </p>
  );
}
