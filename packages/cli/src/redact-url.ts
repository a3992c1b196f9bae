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

// `scheme://user:password@`: the password part, wherever a URL sits in a text.
const urlPassword = /\b([a-z][a-z\d+.-]*:\/\/[^\s/?#@:]*):[^\s/?#@]*@/gi;
// `Bearer <token>` as in an Authorization header quoted in a message.
const bearer = /\b(bearer\s+)[\w.~+/=-]+/gi;
// A JWT anywhere: three base64url parts, the first a JSON object (`eyJ`).
const jwt = /\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]+/g;

/**
 * `text` (a log message, an error's message or stack) with what looks like a credential hidden:
 * URL passwords, `Bearer` tokens, anything shaped like a JWT, and the values of parameters such as
 * `password=` or `token=`. The last line of defence behind the logger's structural redaction: an
 * error from a driver or an application may quote a connection string or a header.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(urlPassword, '$1:***@')
    .replace(bearer, '$1***')
    .replace(jwt, '***')
    .replace(secretParameter, '$1***');
}
