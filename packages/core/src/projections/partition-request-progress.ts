import type { MaintenanceJson } from '../read-store/maintenance-requests.js';

/**
 * What the coordinator of a partitioned projection's request records as its progress: the ids of
 * the partitions' requests (`name#0..#P-1`), the storage a rebuild builds, and the release of a
 * verify's holds. Persisted with the request, so a new holder of partition 0 taking it over goes
 * on with the same shares and storage, and the shares find their parent by it.
 */
export interface ParentProgress {
  /** The partitions' requests, by partition number. */
  readonly partitions?: readonly string[];
  /** A rebuild's new storage. */
  readonly namespace?: string;
  /** A verify is over: the holders let their runners go on. */
  readonly release?: boolean;
}

/** A parent request's progress as stored, checked field by field (it is JSON from the table). */
export function parentProgress(progress: MaintenanceJson | undefined): ParentProgress {
  const partitions = progress?.['partitions'];
  const namespace = progress?.['namespace'];
  return {
    ...(Array.isArray(partitions) && partitions.every((id) => typeof id === 'string')
      ? { partitions: partitions as string[] }
      : {}),
    ...(typeof namespace === 'string' ? { namespace } : {}),
    ...(progress?.['release'] === true ? { release: true } : {}),
  };
}

/**
 * A request left to another process: this one stops, or lost the lease the request was claimed
 * under. Its outcome is not recorded, so the request stays claimed and the next holder (with a
 * higher lease epoch) takes it over.
 */
export class Abandoned extends Error {
  constructor(reason: string) {
    super(`left to the next holder: ${reason}`);
    this.name = 'Abandoned';
  }
}
