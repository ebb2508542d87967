import { readdir, readFile } from 'node:fs/promises';

/** Text of a file, or undefined when it is missing or unreadable (sysfs files may refuse with EINVAL). */
export type FileReader = (path: string) => Promise<string | undefined>;
/** Entry names of a directory, or undefined when it cannot be listed. */
export type DirectoryLister = (path: string) => Promise<string[] | undefined>;

export const readTextFile: FileReader = (path) => readFile(path, 'utf8').catch(() => undefined);
export const listDirectory: DirectoryLister = (path) => readdir(path).catch(() => undefined);
