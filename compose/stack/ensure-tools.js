#!/usr/bin/env node
// Makes sure the machine has what linepulse's install and tests need, before `npm ci` (node-rdkafka's native
// build needs libssl-dev and zlib1g-dev then). Plain ESM JavaScript, no dependencies. Idempotent: installs
// only the missing Debian packages (one `apt-get update` when something is missing), checks java and mvn, and
// fetches the Maven Central jars of the local stack (Kafka, Apicurio Registry) into .stack/ when absent.
// Prints one line per action.
import { execFileSync, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fetchKafka, fetchRegistry, kafkaVersion, registryArtifact } from './artifacts.js';

const debianPackages = [
  ['postgresql', 'PostgreSQL server of the local stack'],
  ['mosquitto', 'MQTT broker of the local stack'],
  ['mosquitto-clients', 'mosquitto_pub/sub for debugging'],
  ['libxml2-utils', 'xmllint: validates B2MML messages against the official XSDs'],
  ['kcat', 'independent Kafka client for checks and benchmarks'],
  ['chromium', 'browser of the e2e tests'],
  ['libssl-dev', "node-rdkafka's native build (npm ci)"],
  ['zlib1g-dev', "node-rdkafka's native build (npm ci)"],
];

const say = (line) => console.log(`ensure-tools: ${line}`);
const started = performance.now();

function installed(pkg) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function fail(message) {
  console.error(`ensure-tools: ${message}`);
  process.exit(1);
}

// 1. Debian packages.
if (!onPath('dpkg-query')) fail('dpkg-query not found: this script expects a Debian machine (see compose/README.md)');
const missing = debianPackages.filter(([pkg]) => !installed(pkg));
for (const [pkg, why] of debianPackages) if (!missing.some(([name]) => name === pkg)) say(`${pkg}: installed (${why})`);
if (missing.length > 0) {
  const names = missing.map(([pkg]) => pkg);
  const root = process.getuid?.() === 0;
  const apt = (args) => {
    const command = root ? 'apt-get' : 'sudo';
    const full = root ? args : ['-n', 'apt-get', ...args];
    say(`running ${command} ${full.join(' ')}`);
    execFileSync(command, full, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  try {
    apt(['update', '-qq']);
    apt(['install', '-y', '-qq', '--no-install-recommends', ...names]);
  } catch (error) {
    fail(`installing ${names.join(' ')} failed (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); install them with apt-get as root`);
  }
  for (const [pkg, why] of missing) {
    if (!installed(pkg)) fail(`${pkg} is still not installed after apt-get install`);
    say(`${pkg}: installed now (${why})`);
  }
  // The Debian postgresql package starts a system cluster on 5432; the stack runs its own on 15432 and does
  // not need it, so it is left as the package set it up.
}

// 2. Java and Maven (on the machine image; the stack's Kafka and registry run on Java 17).
for (const command of ['java', 'mvn']) {
  if (!onPath(command)) fail(`${command} not found on PATH: install a JDK 17 and Maven (Debian: openjdk-17-jdk-headless maven)`);
}
const javaVersion = spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr.split('\n')[0] ?? '';
say(`java: ${javaVersion.trim()}`);
say('mvn: on PATH');

// 3. Maven Central jars of the local stack, so the first test run does not pay for them (both at once).
async function fetchTimed(what, where, fetch) {
  const began = performance.now();
  const fetched = await fetch();
  say(fetched ? `${what}: fetched into ${where} (${seconds(began)} s)` : `${what}: present in ${where}`);
}
try {
  await Promise.all([
    fetchTimed(`kafka ${kafkaVersion} jars`, '.stack/kafka/libs', fetchKafka),
    fetchTimed(`schema registry (${registryArtifact})`, '.stack/registry', fetchRegistry),
  ]);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}

say(`done in ${seconds(started)} s`);

function seconds(since) {
  return ((performance.now() - since) / 1000).toFixed(1);
}
