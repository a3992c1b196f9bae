import { connect } from 'amqplib';

let resolved: Promise<string | undefined> | undefined;

/**
 * The RabbitMQ the integration tests use: TANDEM_TEST_RABBITMQ_URL, else
 * amqp://guest:guest@127.0.0.1:5672. When it does not answer, CI=true makes that an error (a missing
 * broker must fail CI, never skip it silently); elsewhere the tests skip after saying so loudly.
 */
export function rabbitTestUrl(): Promise<string | undefined> {
  resolved ??= (async () => {
    const url = process.env.TANDEM_TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
    try {
      const model = await connect(url, { timeout: 3_000 });
      await model.close();
      return url;
    } catch (error) {
      if (process.env.CI === 'true') throw new Error(`CI=true and no RabbitMQ at ${url}: ${String(error)}`);
      console.error(
        `\n*** SKIPPING RabbitMQ tests: no broker at ${url} (${String(error)}). Set TANDEM_TEST_RABBITMQ_URL or start RabbitMQ. ***\n`,
      );
      return undefined;
    }
  })();
  return resolved;
}

/** A name no other test (or earlier run) uses: exchanges and queues of a test never collide. */
export function uniqueName(label: string): string {
  return `tandem-test.${label}.${process.pid}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 8)}`;
}
