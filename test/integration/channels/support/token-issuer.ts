/**
 * Access tokens as a local OAuth endpoint hands them out: numbered, revocable all at once
 * (to play "token expired on the server side").
 */
export class TokenIssuer {
  issued = 0;
  readonly #valid = new Set<string>();

  issue(): string {
    const token = `token-${++this.issued}`;
    this.#valid.add(token);
    return token;
  }

  isValid(token: string): boolean {
    return this.#valid.has(token);
  }

  /** Invalidates every token handed out so far. */
  revokeAll(): void {
    this.#valid.clear();
  }
}
