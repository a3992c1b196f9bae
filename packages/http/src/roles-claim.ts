/** The claim roles are read from unless the rules name another: `role`, as `signToken` writes it. */
export const defaultRolesClaim = 'role';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The value at `claim` in a token's payload: the claim of exactly that name when there is one
 * (namespaced claims such as `https://example.com/roles` contain dots), else the dotted path
 * (`realm_access.roles`). Own properties only: a path never reaches `__proto__` or `constructor`.
 */
function claimValue(payload: Record<string, unknown>, claim: string): unknown {
  if (Object.hasOwn(payload, claim)) return payload[claim];
  let value: unknown = payload;
  for (const part of claim.split('.')) {
    if (!isRecord(value) || !Object.hasOwn(value, part)) return undefined;
    value = value[part];
  }
  return value;
}

/**
 * The roles a token grants: the claim's value when it is a string, its string entries when it is
 * an array, none otherwise (a missing or malformed claim grants nothing rather than failing).
 */
export function rolesFromClaim(payload: Record<string, unknown>, claim: string): readonly string[] {
  const value = claimValue(payload, claim);
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value))
    return value.filter((role): role is string => typeof role === 'string' && role !== '');
  return [];
}

/** The payload fragment that puts `role` at `claim`, nesting for a dotted path (for `signToken`). */
export function claimWithRole(claim: string, role: string): Record<string, unknown> {
  const parts = claim.split('.');
  let fragment: unknown = role;
  for (const part of parts.reverse()) fragment = { [part]: fragment };
  return fragment as Record<string, unknown>;
}
