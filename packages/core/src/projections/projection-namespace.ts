/** Projection names: lowercase letters, digits and dashes, starting with a letter. */
export const projectionNamePattern = /^[a-z][a-z0-9-]{0,62}$/;

/** Generations: what tells a rebuild's or a verify's storage from the live one's. */
const generationPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The largest partition count (`defineProjection` refuses more). */
const maxPartitions = 64;

/**
 * `name@version`, then `xN` (partition count), `~generation`, `#lane`, each optional. Numbers are
 * written without leading zeros, so that a parsed namespace formats back to the same text.
 */
const namespacePattern =
  /^([^@~#]+)@(0|[1-9][0-9]{0,15})(?:x(0|[1-9][0-9]{0,15}))?(?:~([^@~#]+))?(?:#(0|[1-9][0-9]{0,15}))?$/;

const grammar = 'name@version[xPartitions][~generation][#partition]';

/** The parts of a {@link ProjectionNamespace}. */
export interface ProjectionNamespaceParts {
  /** The projection's name. */
  readonly projection: string;
  /** The projection's version (a positive integer). */
  readonly version: number;
  /** How many partitions the projection is split into; default 1 (unpartitioned). */
  readonly partitions?: number;
  /** Set for a rebuild's or a verify's storage beside the live one. */
  readonly generation?: string | undefined;
  /** Set for the checkpoint key of one partition (lane) of a partitioned namespace. */
  readonly partition?: number | undefined;
}

/**
 * The name of a projection's storage, as the read store keys it. The text is
 * `name@version`, with `xN` for a projection split into N partitions (a new count is new storage,
 * like a new version), `~generation` for a rebuild's or verify's storage built beside the live
 * one, and `#n` for the checkpoint of partition n. Parsing and formatting live here only: the
 * daemon, the runners and the read stores all go through this type.
 *
 * Malformed text or parts throw a plain `Error`: namespaces come from code (projection
 * definitions and the daemon), never from a caller, so a bad one is a programming error.
 */
export class ProjectionNamespace {
  /** The projection's name. */
  readonly projection: string;
  /** The projection's version. */
  readonly version: number;
  /** The partition count; 1 when unpartitioned. */
  readonly partitions: number;
  /** The rebuild or verify generation; undefined for the storage a version builds first. */
  readonly generation: string | undefined;
  /** The partition (lane) whose checkpoint this names; undefined for the namespace itself. */
  readonly partition: number | undefined;
  readonly #text: string;

  private constructor(parts: ProjectionNamespaceParts) {
    const { projection, version, generation, partition } = parts;
    const partitions = parts.partitions ?? 1;
    if (!projectionNamePattern.test(projection))
      throw malformed(`the projection name ${quote(projection)} must match ${projectionNamePattern}`);
    if (!Number.isSafeInteger(version) || version < 1)
      throw malformed(`the version of ${projection} must be a positive integer, not ${version}`);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > maxPartitions)
      throw malformed(
        `the partition count of ${projection} must run from 1 to ${maxPartitions}, not ${partitions}`,
      );
    if (generation !== undefined && !generationPattern.test(generation))
      throw malformed(`the generation ${quote(generation)} must match ${generationPattern}`);
    // An unpartitioned namespace has no lanes: its own checkpoint is its only one.
    if (
      partition !== undefined &&
      (partitions === 1 || !Number.isInteger(partition) || partition < 0 || partition >= partitions)
    )
      throw malformed(
        `partition ${partition} does not exist in ${projection}@${version} (${partitions} in all)`,
      );
    this.projection = projection;
    this.version = version;
    this.partitions = partitions;
    this.generation = generation;
    this.partition = partition;
    this.#text =
      `${projection}@${version}` +
      (partitions === 1 ? '' : `x${partitions}`) +
      (generation === undefined ? '' : `~${generation}`) +
      (partition === undefined ? '' : `#${partition}`);
  }

  /** A namespace from its parts; throws if one is out of range. */
  static of(parts: ProjectionNamespaceParts): ProjectionNamespace {
    return new ProjectionNamespace(parts);
  }

  /** The namespace a projection definition writes (its live storage, or a `generation`'s). */
  static forProjection(
    definition: { readonly name: string; readonly version: number; readonly partitions?: number | undefined },
    generation?: string,
  ): ProjectionNamespace {
    return new ProjectionNamespace({
      projection: definition.name,
      version: definition.version,
      partitions: definition.partitions ?? 1,
      generation,
    });
  }

  /** Reads a namespace's text; throws on anything but the canonical form it formats to. */
  static parse(text: string): ProjectionNamespace {
    const match = namespacePattern.exec(text);
    if (match === null) throw malformed(`${quote(text)} is not ${grammar}`);
    const [, projection = '', version, partitions, generation, partition] = match;
    // `x1` would name the same storage as no count at all: one spelling per namespace.
    if (partitions !== undefined && Number(partitions) < 2)
      throw malformed(`${quote(text)}: a partition count is written only from 2 up`);
    return new ProjectionNamespace({
      projection,
      version: Number(version),
      partitions: partitions === undefined ? 1 : Number(partitions),
      generation,
      partition: partition === undefined ? undefined : Number(partition),
    });
  }

  /** Like {@link ProjectionNamespace.parse}, but undefined for malformed text (for keys a store holds beside namespaces). */
  static tryParse(text: string): ProjectionNamespace | undefined {
    try {
      return ProjectionNamespace.parse(text);
    } catch {
      return undefined;
    }
  }

  /**
   * The generation of a rebuild started at `at` (ms since the epoch). Its text sorts in time order,
   * which start-up relies on to resume the newest interrupted rebuild.
   */
  static rebuildGeneration(at: number): string {
    return `r${at.toString(36)}`;
  }

  /** Whether this is a rebuild's storage (see {@link ProjectionNamespace.rebuildGeneration}). */
  get rebuilding(): boolean {
    return this.generation !== undefined && /^r[0-9a-z]+$/.test(this.generation);
  }

  /** The same storage in another generation (undefined: the version's first storage). */
  withGeneration(generation: string | undefined): ProjectionNamespace {
    return new ProjectionNamespace({ ...this.#parts(), generation });
  }

  /** The storage without its generation: what a same-version rebuild of it stands beside. */
  withoutGeneration(): ProjectionNamespace {
    return this.withGeneration(undefined);
  }

  /** The checkpoint key of partition `index` of this namespace. */
  withPartition(index: number): ProjectionNamespace {
    return new ProjectionNamespace({ ...this.#parts(), partition: index });
  }

  /** The namespace a partition's checkpoint key belongs to (itself when it names no partition). */
  withoutPartition(): ProjectionNamespace {
    return new ProjectionNamespace({ ...this.#parts(), partition: undefined });
  }

  /** Whether both name the same storage or checkpoint; text is parsed first. */
  equals(other: ProjectionNamespace | string): boolean {
    return this.#text === (typeof other === 'string' ? ProjectionNamespace.parse(other).#text : other.#text);
  }

  /** The canonical text, as stores key it. */
  toString(): string {
    return this.#text;
  }

  /** The text, so that a namespace in JSON (logs, status) reads as it is stored. */
  toJSON(): string {
    return this.#text;
  }

  #parts(): ProjectionNamespaceParts {
    return {
      projection: this.projection,
      version: this.version,
      partitions: this.partitions,
      generation: this.generation,
      partition: this.partition,
    };
  }
}

function malformed(reason: string): Error {
  return new Error(`Malformed projection namespace: ${reason}`);
}

/** Quoted and cut short: a message names the bad text, not all of it. */
function quote(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}
