// Type-level checks of the packed .d.ts: the registry createTandem infers reaches the caller. An
// expected-error directive fails the build when the line it marks stops being an error; nothing
// here runs.
import type { Principal } from '@tandem/core';
import type { createTaskApp, TaskView } from './tasks.js';

type TaskApp = Awaited<ReturnType<typeof createTaskApp>>;

export async function typedRegistry(app: TaskApp, user: Principal): Promise<void> {
  const added = await app.execute({ type: 'AddTask', data: { title: 'typed' }, user, commandId: 'k' });
  if (added.ok) {
    const taskId: string = added.result.ids.taskId;
    const read = await app.query({ name: 'GetTask', params: { taskId }, user });
    if (read.ok) {
      const view: TaskView | undefined = read.view;
      void view;
    }
  }
  // @ts-expect-error: no such command
  await app.execute({ type: 'RemoveTask', data: {}, user });
  // @ts-expect-error: the title is a string
  await app.execute({ type: 'AddTask', data: { title: 1 }, user });
  // @ts-expect-error: no such query
  await app.query({ name: 'GetTasks', params: {}, user });
  // @ts-expect-error: GetTask takes a taskId
  await app.query({ name: 'GetTask', params: { id: 'x' }, user });
}
