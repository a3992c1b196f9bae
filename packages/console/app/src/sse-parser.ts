/** One server-sent event: its `event:` name (`message` when none) and its data lines joined. */
export interface SseMessage {
  readonly event: string;
  readonly data: string;
}

/**
 * Parses a text/event-stream incrementally, as the HTML standard's event-stream interpretation
 * does: chunks may split lines anywhere; lines end in LF, CRLF or CR; a blank line dispatches;
 * `:` lines are comments (keep-alives); `id` and `retry` are ignored (the console reconnects on its
 * own terms). EventSource cannot send an Authorization header, hence this.
 */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #pendingCr = false;

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: string): SseMessage[] {
    let text = chunk;
    // A CR at the end of the last chunk may be the first half of a CRLF.
    if (this.#pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.#pendingCr = text.endsWith('\r');
    this.#buffer += text;
    const messages: SseMessage[] = [];
    const lines = this.#buffer.split(/\r\n|\r|\n/);
    this.#buffer = lines.pop() ?? '';
    for (const line of lines) {
      const message = this.#line(line);
      if (message !== undefined) messages.push(message);
    }
    return messages;
  }

  #line(line: string): SseMessage | undefined {
    if (line === '') {
      const message =
        this.#data.length === 0
          ? undefined
          : { event: this.#event || 'message', data: this.#data.join('\n') };
      this.#event = '';
      this.#data = [];
      return message;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    return undefined;
  }
}
