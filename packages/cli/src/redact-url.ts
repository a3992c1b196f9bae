// Query (or libpq key=value) parameters whose value is a credential: password, sslpassword,
// secret, token, api_key and the like. A name holds no `=&#?/` or whitespace, so it cannot reach
// back into the host or path; a value runs to the next `&`, `#` or whitespace.
const secretParameter = /((?:^|[?&\s])[^=&#?/\s]*(?:pass|secret|token|key)[^=&#?/\s]*=)[^&#\s]*/gi;

/**
 * A connection URL fit to print or log: the password in `scheme://user:password@host` becomes
 * `***` (the user name stays, it helps to tell databases apart), and so do the values of
 * parameters such as `password=`, `sslpassword=` or `token=`. Errs towards hiding: the userinfo
 * ends at the last `@`, so a password with an unencoded `@`, `/`, `?` or `#` is still hidden.
 */
export function redactUrl(url: string): string {
  let redacted = url;
  const scheme = /^[a-z][a-z\d+.-]*:\/\//i.exec(url);
  if (scheme !== null) {
    const start = scheme[0].length;
    const at = url.lastIndexOf('@');
    const colon = url.indexOf(':', start);
    if (at > start && colon !== -1 && colon < at) redacted = `${url.slice(0, colon)}:***${url.slice(at)}`;
  }
  return redacted.replace(secretParameter, '$1***');
}
