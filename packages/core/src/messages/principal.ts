/** The authenticated caller. Transports build it from credentials, never from the payload. */
export interface Principal {
  /** Stable user id (a JWT's `sub`). */
  readonly id: string;
  /** Roles used by authorization policies, such as `admin` or `customer`. */
  readonly roles: readonly string[];
}

/** Whether `principal` has `role`. */
export function hasRole(principal: Principal | undefined, role: string): boolean {
  return principal !== undefined && principal.roles.includes(role);
}
