// Maven Central artifacts of the local test stack (Kafka broker jars, Apicurio Registry), fetched with the
// machine's `mvn` into <repo>/.stack. Plain ESM JavaScript with no dependencies: compose/stack/ensure-tools.js
// runs it before `npm ci`, and the TypeScript stack (compose/stack/services/*.ts) reuses it. Types in artifacts.d.ts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root (compose/stack/ is two levels below it). */
export const repoRoot = resolve(here, '..', '..');
/** All runtime state of the local stack: data directories, pid files, logs, fetched jars. Gitignored. */
export const stackDir = join(repoRoot, '.stack');

const dependencyPlugin = 'org.apache.maven.plugins:maven-dependency-plugin:3.6.1';
const legacyDependencyPlugin = 'org.apache.maven.plugins:maven-dependency-plugin:2.10';

export const kafkaVersion = '3.9.1';
export const kafkaPom = join(here, 'kafka', 'pom.xml');
export const kafkaLibsDir = join(stackDir, 'kafka', 'libs');

// 3.0.x: the 3.3.x builds on Maven Central need Java 21 (class file 65); the machine has Java 17.
export const registryVersion = '3.0.9';
export const registryArtifact = `io.apicurio:apicurio-registry-app:${registryVersion}:tar.gz:all`;
export const registryDir = join(stackDir, 'registry');
export const registryJar = join(registryDir, `apicurio-registry-app-${registryVersion}-runner.jar`);

/** True when the Kafka broker jars are present (the fetch moves them in place only when it completed). */
export function kafkaInstalled() {
  return existsSync(join(kafkaLibsDir, `kafka_2.13-${kafkaVersion}.jar`));
}

/** True when the registry's runnable Quarkus app is unpacked. */
export function registryInstalled() {
  return existsSync(registryJar) && existsSync(join(registryDir, 'lib'));
}

const execFileAsync = promisify(execFile);

function mvn(args) {
  // -B: no progress bars (CI logs); -q: errors only (captured for the error message).
  return execFileAsync('mvn', ['-q', '-B', ...args], { maxBuffer: 64 * 1024 * 1024 });
}

function describeMvnFailure(what, error) {
  const output = `${error?.stdout ?? ''}${error?.stderr ?? ''}`.trim().split('\n').filter(Boolean);
  const last = output.slice(-3).join(' | ') || (error instanceof Error ? error.message : String(error));
  return new Error(`fetching ${what} from Maven Central with mvn failed: ${last}`);
}

/** Copies the Kafka broker runtime jars into .stack/kafka/libs (skipped when present). Resolves to true when it fetched. */
export async function fetchKafka() {
  if (kafkaInstalled()) return false;
  const partial = `${kafkaLibsDir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(dirname(kafkaLibsDir), { recursive: true });
  try {
    // outputDirectory must be absolute: Maven resolves relative paths against the pom's folder.
    await mvn([`${dependencyPlugin}:copy-dependencies`, '-DincludeScope=runtime', `-DoutputDirectory=${partial}`, '-f', kafkaPom]);
  } catch (error) {
    throw describeMvnFailure(`Kafka ${kafkaVersion} jars (${kafkaPom})`, error);
  }
  rmSync(kafkaLibsDir, { recursive: true, force: true });
  renameSync(partial, kafkaLibsDir);
  return true;
}

/** Unpacks Apicurio Registry's runnable app into .stack/registry (skipped when present). Resolves to true when it fetched. */
export async function fetchRegistry() {
  if (registryInstalled()) return false;
  const tarball = join(stackDir, 'downloads', `apicurio-registry-app-${registryVersion}-all.tar.gz`);
  mkdirSync(dirname(tarball), { recursive: true });
  try {
    // 3.0.9's parent POM (io.apicurio:apicurio-registry:3.0.9) is missing from Central, so every 3.x goal that
    // reads the artifact descriptor (get, copy, unpack) fails; the 2.x `get` with transitive=false does not
    // read it, and its `dest` copies the tarball out of the local repository.
    await mvn([`${legacyDependencyPlugin}:get`, `-Dartifact=${registryArtifact}`, '-Dtransitive=false', `-Ddest=${tarball}`]);
  } catch (error) {
    throw describeMvnFailure(`Apicurio Registry (${registryArtifact})`, error);
  }
  if (!existsSync(tarball)) throw new Error(`mvn reported ${registryArtifact} fetched but ${tarball} does not exist`);
  const partial = `${registryDir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  await execFileAsync('tar', ['-xzf', tarball, '-C', partial]);
  if (!readdirSync(partial).some((name) => name.endsWith('-runner.jar')))
    throw new Error(`unpacking ${tarball} into ${partial} produced no *-runner.jar`);
  rmSync(registryDir, { recursive: true, force: true });
  renameSync(partial, registryDir);
  rmSync(tarball, { force: true });
  return true;
}
